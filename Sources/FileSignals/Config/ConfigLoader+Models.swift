// SPDX-License-Identifier: GPL-2.0-or-later
import Glibc

extension ConfigLoader {
    /// Reads a `[model NAME]` section; nil when it has errors.
    mutating func readModel(_ section: IniSection, general: GeneralSettings) -> ModelDeclaration? {
        let errorsBefore = diagnostics.count
        guard let pathEntry = section.entry("path") else {
            missing(in: section, "\(section.title) needs `path`: the folders its instances are in")
            return nil
        }
        if pathEntry.value.items.isEmpty {
            error(pathEntry.value.position, "`path` needs at least one folder")
        }
        var folders: [ModelDeclaration.Folder] = []
        for item in pathEntry.value.items { folders.append(folder(item)) }
        var match: [GlobPattern] = []
        for item in section.entry("match")?.value.items ?? [] {
            do throws(GlobPatternError) {
                match.append(try GlobPattern(item.text))
            } catch {
                self.error(item.position, error.description)
            }
        }
        var exclude: [String] = []
        for item in section.entry("exclude")?.value.items ?? [] {
            if let text = exclusionPattern(item) { exclude.append(text) }
        }
        var recursive = true
        if let entry = section.entry("recursive"), let value = boolean(entry) { recursive = value }

        for (pattern, item) in zip(match, section.entry("match")?.value.items ?? []) {
            if let reason = neverMatches(pattern, recursive: recursive, excludes: exclude, general: general) {
                error(item.position, "`\(pattern.text)` can never match: \(reason)")
            }
        }
        guard diagnostics[errorsBefore...].allSatisfy({ $0.severity != .error }) else { return nil }
        for folder in folders where !isFolder(folder.path) {
            warning(folder.position, "folder `\(folder.written)` of \(section.title) does not exist (\(folder.path)); `watch` stops with status 66 until it does")
        }
        return ModelDeclaration(
            name: section.name ?? "", position: section.position, folders: folders, match: match,
            exclude: exclude, recursive: recursive)
    }

    /// A folder of `path`, resolved against the root.
    private mutating func folder(_ item: IniValue.Item) -> ModelDeclaration.Folder {
        let written = item.text
        let joined = written.hasPrefix("/") ? written : root.description + "/" + written
        if let untrusted = FolderLinks.untrustedLink(on: joined) {
            error(item.position, """
                `\(written)` goes through \(untrusted.link), a symbolic link in \(untrusted.folder), which others can \
                write: they would choose what is watched; name the folder it leads to, or make \(untrusted.folder) yours alone
                """)
        }
        var info = stat()
        if stat(joined, &info) == 0, info.st_mode & S_IFMT == S_IFREG {
            // A single file: its folder is watched for it, so that an editor's rename dance is still one save;
            // the file keeps the name written, even when it is a symbolic link.
            let (folder, name) = RawPath(Self.normalized(joined)).folderAndName
            let resolvedFolder = Self.resolved(folder.description)
            let prefix = resolvedFolder.relative(to: root) ?? RawPath(Self.normalized(written)).folderAndName.folder
            return ModelDeclaration.Folder(written: written, path: resolvedFolder, instancePrefix: prefix, position: item.position, onlyFile: name)
        }
        let absolute = Self.resolved(joined)
        let prefix = absolute.relative(to: root) ?? RawPath(Self.normalized(written))
        return ModelDeclaration.Folder(written: written, path: absolute, instancePrefix: prefix, position: item.position)
    }

    /// `path` with symbolic links resolved when it exists, otherwise only tidied (`.`, `..`, `//`).
    static func resolved(_ path: String) -> RawPath {
        if let real = realpath(path, nil) {
            defer { free(real) }
            return RawPath(cString: real)
        }
        return RawPath(normalized(path))
    }

    /// `path` without `.` components, empty components and trailing `/`, with `..` applied.
    static func normalized(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case ".." where !parts.isEmpty && parts.last != "..": parts.removeLast()
            default: parts.append(part)
            }
        }
        let joined = parts.joined(separator: "/")
        return path.hasPrefix("/") ? "/" + joined : (joined.isEmpty ? "." : joined)
    }

    private func isFolder(_ path: RawPath) -> Bool {
        var info = stat()
        return path.withCString { stat($0, &info) } == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// Why a match pattern can select no file at all, or nil when it can.
    private func neverMatches(_ pattern: GlobPattern, recursive: Bool, excludes: [String], general: GeneralSettings) -> String? {
        let text = pattern.text
        if text.hasSuffix("/") { return "it ends with `/`, which names folders, and instances are files" }
        let components = text.split(separator: "/", omittingEmptySubsequences: false).dropFirst(text.hasPrefix("/") ? 1 : 0)
        if components.contains(where: \.isEmpty) { return "paths never hold an empty component (`//`)" }
        if components.contains(where: { $0 == "." || $0 == ".." }) { return "paths are matched without `.` and `..` components" }
        if !recursive && components.count > 1 && !components.dropLast().allSatisfy({ $0 == "**" }) {
            return "the model has `recursive = no`, so no instance is in a subfolder"
        }
        if excludes.contains(text) { return "`exclude` holds the same pattern" }
        if let ignores = try? general.exclusions(), ignores.entries.contains(where: { !$0.foldersOnly && $0.pattern.text == text }) {
            return "every file it matches is ignored (`\(text)` is in the ignore list)"
        }
        return nil
    }
}
