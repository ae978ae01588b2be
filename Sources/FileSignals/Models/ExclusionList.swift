// SPDX-License-Identifier: GPL-2.0-or-later

/// Patterns that take paths out of a model: `exclude =`, `ignore =` and the default ignore list.
///
/// A pattern that ends in `/` names folders only (`.git/`, `build/`): everything beneath such a folder is
/// excluded, and the watcher does not even watch it. Any other pattern excludes a file it matches, and a
/// folder it matches with everything beneath it.
public struct ExclusionList: Sendable, Hashable {
    /// One pattern and whether it names folders only.
    public struct Entry: Sendable, Hashable {
        public let pattern: GlobPattern
        public let foldersOnly: Bool
        /// The pattern as written, with its trailing `/` when it names folders only.
        public var text: String { pattern.text + (foldersOnly ? "/" : "") }
    }

    /// Why a path is excluded: the entry that matched, and what it matched (the path itself, or the
    /// folder above it).
    public struct Exclusion: Sendable, Hashable {
        public let entry: Entry
        public let matchedPath: RawPath
    }

    public private(set) var entries: [Entry] = []

    /// An empty list: nothing is excluded.
    public init() {}

    /// Parses each pattern; a trailing `/` makes a pattern name folders only.
    /// - Throws: ``GlobPatternError`` for the first pattern that is not a valid glob.
    public init(patterns: [String]) throws(GlobPatternError) {
        for text in patterns {
            let foldersOnly = text.hasSuffix("/") && text.count > 1
            let body = foldersOnly ? String(text.dropLast()) : text
            entries.append(Entry(pattern: try GlobPattern(body), foldersOnly: foldersOnly))
        }
    }

    /// The list that is in force unless `default_ignore = no`: version-control folders and the temporary,
    /// swap, backup and lock files that editors write beside the files they save.
    public static let defaultIgnores: ExclusionList = {
        let patterns = [
            ".git/", ".hg/", ".svn/", ".filesignals/",
            "*.swp", "*.swx", "*~", ".#*", "#*#", "4913", "*___jb_tmp___", "*___jb_old___", ".*.tmp",
        ]
        // The literals above are valid patterns; a failure here is a programming error.
        return try! ExclusionList(patterns: patterns)
    }()

    /// This list followed by `other`'s patterns.
    public func adding(_ other: ExclusionList) -> ExclusionList {
        var combined = self
        combined.entries += other.entries
        return combined
    }

    /// Whether the folder at `relativePath` (relative to the model's folder) is excluded with everything in it.
    public func excludesFolder(_ relativePath: RawPath) -> Bool {
        entries.contains { $0.pattern.matches(relativePath) }
    }

    /// Whether the file at `relativePath` is excluded, by a pattern on it or on one of its parent folders.
    public func excludesFile(_ relativePath: RawPath) -> Bool {
        exclusion(ofFile: relativePath) != nil
    }

    /// The first entry that excludes the file at `relativePath`, by matching it or one of its parent folders;
    /// nil when the file is not excluded.
    public func exclusion(ofFile relativePath: RawPath) -> Exclusion? {
        if entries.isEmpty { return nil }
        // Runs for every file event and every file of a walk: the parents are matched as prefixes of the
        // path's bytes, and a path is made only for the answer.
        return relativePath.bytes.withUnsafeBufferPointer { bytes -> Exclusion? in
            for entry in entries where !entry.foldersOnly && entry.pattern.matches(bytes: bytes) {
                return Exclusion(entry: entry, matchedPath: relativePath)
            }
            var end = bytes.count
            while let slash = bytes[..<end].lastIndex(of: UInt8(ascii: "/")) {
                end = slash
                let folder = UnsafeBufferPointer(rebasing: bytes[..<end])
                if let entry = entries.first(where: { $0.pattern.matches(bytes: folder) }) {
                    return Exclusion(entry: entry, matchedPath: RawPath(bytes: Array(folder)))
                }
            }
            return nil
        }
    }
}
