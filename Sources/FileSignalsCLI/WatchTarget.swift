// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import Crypto
import FileSignals
import Foundation
import Glibc

/// What `watch`, `scan` and `log` work on: the models of the config file, or the one model made of folders
/// given on the command line, with the settings and the state database that go with them.
struct WatchTarget {
    var models: [Model]
    var settle: Duration
    var deleteSettle: Duration
    /// `one_file_system` in the config, or `--one-file-system`.
    var staysOnOneFileSystem = false
    var journalRetention: Duration
    /// The state database's path, or nil for no state.
    var statePath: String?
    /// The config, when there is one.
    var config: ProjectConfig?
    /// The config file as named, for reloading.
    var configPath: String?

    /// The folder receivers run in and name as `FILESIGNALS_ROOT`: the config's folder, or the folder given on
    /// the command line (the common folder of several, which instance names are relative to).
    var root: RawPath { config?.root ?? models.first?.folders.first?.root ?? RawPath("/") }

    /// Resolves the command line into models, settings and a state path.
    /// - Throws: `ValidationError` (64) for contradictory options, exit 78 for a bad config, and
    ///   ``WatcherError/missingFolder(_:)`` for a folder given on the command line that does not exist.
    static func resolve(config: ConfigOptions, folders: FolderModelOptions, state: StateOptions) throws -> WatchTarget {
        var target: WatchTarget
        if let configPath = folders.folders.isEmpty ? config.chosenPath : nil {
            if !folders.matches.isEmpty || !folders.excludes.isEmpty || folders.sender != nil {
                throw ValidationError("--match, --exclude and --sender describe folders given on the command line; with a config, use its [model] sections")
            }
            let loaded = try ConfigOptions.load(path: configPath)
            if loaded.models.isEmpty {
                Log.error("\(configPath) declares no [model]; nothing to watch")
                throw ExitCodes.config
            }
            let root = loaded.root.description
            let statePath = loaded.general.state.path.map { $0.hasPrefix("/") ? $0 : root + "/" + $0 }
            target = WatchTarget(
                models: loaded.runtimeModels, settle: loaded.general.settle, deleteSettle: loaded.general.deleteSettle, journalRetention: loaded.general.journal,
                statePath: statePath, config: loaded, configPath: configPath)
        } else {
            if config.path != nil {
                throw ValidationError("give folders or -c PATH, not both: folders given on the command line form a model of their own")
            }
            let model = try folders.model()
            target = WatchTarget(
                models: [model], settle: Reconciler.Options.defaultSettle, deleteSettle: Reconciler.Options.defaultDeleteSettle, journalRetention: .seconds(7 * 86_400),
                statePath: Self.defaultStatePath(for: model), config: nil, configPath: nil)
        }
        if let configured = target.config?.general.oneFileSystem { target.staysOnOneFileSystem = configured }
        if folders.oneFileSystem { target.staysOnOneFileSystem = true }
        if state.noState { target.statePath = nil }
        if let path = state.state { target.statePath = path }
        target.keepOwnFilesOutOfModels()
        return target
    }

    /// `$XDG_STATE_HOME/filesignals/KEY.db`, one database per set of folders and patterns, so that watching
    /// a folder from the terminal never writes into it.
    static func defaultStatePath(for model: Model) -> String {
        var identity = "sender=\(model.name)\n"
        for folder in model.folders {
            identity += "folder=\(folder.path)\n"
            // Instances named from the folders' common folder (several folders) keep a database of their own.
            if !folder.instancePrefix.isEmpty { identity += "prefix=\(folder.instancePrefix)\n" }
            if let file = folder.onlyFile { identity += "file=\(file)\n" }
        }
        for pattern in model.match { identity += "match=\(pattern.text)\n" }
        for entry in model.exclusions.entries { identity += "exclude=\(entry.text)\n" }
        let key = ContentHash.hex(Array(SHA256.hash(data: Array(identity.utf8)))).prefix(16)
        return stateFolder + "/\(key).db"
    }

    /// Where the databases of watches started from the command line live: `$XDG_STATE_HOME/filesignals`.
    static var stateFolder: String {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_STATE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.local/state"
        return base + "/filesignals"
    }

    /// What a command-line watch's database belongs to, for `filesignals state`: `File: /src/a /src/b, match *.md`.
    static func summary(of model: Model) -> String {
        let folders = model.folders.map { folder in folder.onlyFile.map { folder.path.appending($0) } ?? folder.path }
        var text = "\(model.name): " + folders.map(\.description).joined(separator: " ")
        if !model.match.isEmpty { text += ", match " + model.match.map(\.text).joined(separator: " ") }
        let own = model.exclusions.entries.filter { entry in !ExclusionList.defaultIgnores.entries.contains(entry) }
        if !own.isEmpty { text += ", exclude " + own.map(\.text).joined(separator: " ") }
        return text
    }

    /// The bridge must never report its own files: its state database (its writes would be reported, and each
    /// report would write it again), and the files its standard output and error go to (`watch . 2> log.txt`:
    /// each log line would be a save, and each save a log line). They are excluded from any model whose
    /// folders hold them.
    private mutating func keepOwnFilesOutOfModels() {
        var own: [RawPath] = []
        if let statePath {
            own += StateStore.files(of: absolutePath(statePath)).map(RawPath.init)
        }
        own += [STDOUT_FILENO, STDERR_FILENO].compactMap(Self.regularFile(behind:))
        models = models.map { model in
            let names = own.compactMap { file -> String? in
                guard let folder = model.folders.first(where: { file.relative(to: $0.path) != nil }),
                      let relative = file.relative(to: folder.path) else { return nil }
                return "/" + Self.escapedForGlob(relative.description)
            }
            guard !names.isEmpty, let extra = try? ExclusionList(patterns: names) else { return model }
            return Model(name: model.name, folders: model.folders, match: model.match, exclusions: model.exclusions.adding(extra), recursive: model.recursive)
        }
    }

    /// The regular file `descriptor` writes to (through `/proc/self/fd`), or nil for a terminal, a pipe, or a
    /// file that has no name any more.
    static func regularFile(behind descriptor: Int32) -> RawPath? {
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = buffer.withUnsafeMutableBufferPointer { pointer in
            pointer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: pointer.count) { readlink("/proc/self/fd/\(descriptor)", $0, pointer.count - 1) }
        }
        guard count > 0, buffer[0] == UInt8(ascii: "/") else { return nil }
        let path = RawPath(bytes: Array(buffer[..<count]))
        // The file itself, not what now has its name: a file removed since shows as "PATH (deleted)".
        var named = stat()
        guard path.withCString({ stat($0, &named) }) == 0, named.st_dev == info.st_dev, named.st_ino == info.st_ino else { return nil }
        return path
    }

    private static func escapedForGlob(_ text: String) -> String {
        var result = ""
        for character in text {
            if "*?[]\\".contains(character) { result.append("\\") }
            result.append(character)
        }
        return result
    }

    /// Opens the state database, or nil without state.
    /// - Throws: exit 75 when another watcher holds it, 65 when it is damaged or newer, 73 when it cannot be created.
    func openState(readOnly: Bool = false) throws -> StateStore? {
        guard let statePath else { return nil }
        do {
            let store = try StateStore(path: statePath, readOnly: readOnly)
            if config == nil, !readOnly, let model = models.first { try store.describe(as: Self.summary(of: model)) }
            return store
        } catch {
            Log.error(error.description)
            throw ExitCodes.status(for: error)
        }
    }
}
