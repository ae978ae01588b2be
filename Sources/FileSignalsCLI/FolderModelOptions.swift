// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import FileSignals
import Foundation
import Glibc

/// The options that make a model out of folders given on the command line, when there is no config file.
struct FolderModelOptions: ParsableArguments {
    @Argument(help: "Folders to watch (or single files: `watch notes.md` watches that file through its folder). Instance names are relative to the folder, or to the common folder of several.")
    var folders: [String] = []

    @Option(name: .customLong("match"), help: ArgumentHelp("Only files matching this glob (repeatable). A pattern without `/` matches the file name at any depth.", valueName: "glob"))
    var matches: [String] = []

    @Option(name: .customLong("exclude"), help: ArgumentHelp("Leave out paths matching this glob (repeatable); `dir/` leaves out a folder.", valueName: "glob"))
    var excludes: [String] = []

    @Option(help: ArgumentHelp("The model's name: the `sender` of its signals (default: File).", valueName: "name"))
    var sender: String?

    @Flag(name: [.customShort("x"), .customLong("one-file-system")], help: "Do not go into folders on another file system (another mount) than the watched folder's; in a config, one_file_system = yes.")
    var oneFileSystem = false

    /// The one model these options describe, with the default ignore list in force.
    /// - Throws: `ValidationError` for a bad pattern; ``WatcherError/missingFolder(_:)`` for a folder that
    ///   does not exist.
    func model() throws -> Model {
        let folderPaths = folders.isEmpty ? ["."] : folders
        let resolved = try folderPaths.map { argument throws(WatcherError) -> Model.Folder in
            // The name's exact bytes: a folder whose name is not UTF-8 is still found.
            let folder = RawPath(bytes: RawArguments.bytes(of: argument))
            let absolute = absolutePath(folder.description)
            if let untrusted = FolderLinks.untrustedLink(on: absolute) { throw .untrustedLink(folder, untrusted) }
            guard let real = folder.withCString({ realpath($0, nil) }) else { throw .missingFolder(folder) }
            defer { free(real) }
            var info = stat()
            if stat(real, &info) == 0, info.st_mode & S_IFMT == S_IFREG {
                // A single file: its folder is watched for it (an editor's rename dance happens there), with
                // the file's own name as given, even when it is a symbolic link.
                let (parent, name) = folder.folderAndName
                guard let realParent = parent.withCString({ realpath($0, nil) }) else { throw .missingFolder(folder) }
                defer { free(realParent) }
                return Model.Folder(path: RawPath(cString: realParent), onlyFile: name)
            }
            if stat(real, &info) == 0, info.st_mode & S_IFMT != S_IFDIR { throw .notAFolder(folder) }
            return Model.Folder(path: RawPath(cString: real))
        }
        do {
            let match = try matches.map { text throws(GlobPatternError) in try GlobPattern(text) }
            let exclusions = try ExclusionList.defaultIgnores.adding(ExclusionList(patterns: excludes))
            // Several folders: each instance is named from their deepest common folder (`watch a b` gives
            // `a/x.md` and `b/x.md`), so that two files never share a name.
            let ancestor = RawPath.commonAncestor(of: resolved.map(\.path))
            let folders = resolved.count < 2 ? resolved : resolved.map {
                Model.Folder(path: $0.path, instancePrefix: $0.path.relative(to: ancestor) ?? $0.path, onlyFile: $0.onlyFile)
            }
            return Model(name: sender ?? "File", folders: folders, match: match, exclusions: exclusions)
        } catch {
            throw ValidationError(error.description)
        }
    }
}
