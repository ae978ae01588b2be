// SPDX-License-Identifier: GPL-2.0-or-later

/// A named set of files: one or more folders and the glob patterns their files must match. The files
/// that belong to a model are its instances, as the rows of a table belong to a Django model.
public struct Model: Sendable, Hashable {
    /// One folder of the model, and the name its instances get relative to the root.
    public struct Folder: Sendable, Hashable {
        /// The folder's absolute path.
        public let path: RawPath
        /// The folder's path relative to the root, prefixed to every instance name in it (empty when the
        /// folder is the root itself, as for `filesignals watch DIR`).
        public let instancePrefix: RawPath
        /// For a single file watched (`watch notes.md`): its name in ``path``, the folder watched for it, so
        /// that an editor's rename dance in the folder is still seen. Only that file is an instance, and no
        /// subfolder is watched. Nil for a whole folder.
        public let onlyFile: RawPath?

        public init(path: RawPath, instancePrefix: RawPath = RawPath(bytes: []), onlyFile: RawPath? = nil) {
            self.path = path
            self.instancePrefix = instancePrefix
            self.onlyFile = onlyFile
        }

        /// Whether a file at `relativePath` in the folder may be an instance of it (all but one are not, when
        /// the folder is watched for one file).
        public func admits(_ relativePath: RawPath) -> Bool { onlyFile.map { $0 == relativePath } ?? true }

        /// The folder instance names are relative to: ``path`` without ``instancePrefix`` at its end.
        public var root: RawPath {
            guard !instancePrefix.isEmpty else { return path }
            let root = Array(path.bytes.dropLast(instancePrefix.bytes.count + 1))
            return RawPath(bytes: root.isEmpty ? [UInt8(ascii: "/")] : root)
        }
    }

    /// Where an instance is: its model folder, its path relative to that folder, and its instance name.
    public struct Location: Sendable, Hashable {
        public let folder: Folder
        /// The path relative to the model folder, which the patterns are matched against.
        public let relativePath: RawPath
        /// The instance's name: its path relative to the root.
        public let instanceName: RawPath
    }

    /// The model's name: the `sender` of its signals.
    public let name: String
    public let folders: [Folder]
    /// Patterns a file must match (any of them); empty means every file.
    public let match: [GlobPattern]
    /// The model's own exclusions together with the ignore list in force.
    public let exclusions: ExclusionList
    /// Whether files in subfolders belong to the model.
    public let recursive: Bool

    public init(name: String, folders: [Folder], match: [GlobPattern], exclusions: ExclusionList, recursive: Bool = true) {
        self.name = name
        self.folders = folders
        self.match = match
        self.exclusions = exclusions
        self.recursive = recursive
    }

    /// Where `path` would be as an instance of this model: nil when it lies outside every folder.
    /// The first folder that contains the path wins.
    public func location(of path: RawPath) -> Location? {
        for folder in folders {
            guard let relative = path.relative(to: folder.path), !relative.isEmpty, folder.admits(relative) else { continue }
            return Location(folder: folder, relativePath: relative, instanceName: folder.instancePrefix.appending(relative))
        }
        return nil
    }

    /// Whether a file at `relativePath` inside one of the model's folders is an instance (``verdict(for:)``
    /// says why).
    public func includesFile(_ relativePath: RawPath) -> Bool {
        if case .instance = verdict(relative: relativePath, location: nil) { return true }
        return false
    }

    /// Whether the watcher should watch and scan the subfolder at `relativePath` of `folder`: none below a
    /// folder watched for one file.
    public func includesFolder(_ relativePath: RawPath, of folder: Folder) -> Bool {
        folder.onlyFile == nil ? includesFolder(relativePath) : relativePath.isEmpty
    }

    /// Whether the watcher should watch and scan the subfolder at `relativePath`.
    public func includesFolder(_ relativePath: RawPath) -> Bool {
        if relativePath.isEmpty { return true }
        return recursive && !exclusions.excludesFile(relativePath) && !exclusions.excludesFolder(relativePath)
    }

    /// The instance at absolute `path`, when it belongs to this model.
    public func instance(at path: RawPath) -> Location? {
        guard let location = location(of: path), includesFile(location.relativePath) else { return nil }
        return location
    }
}

extension Model {
    /// Whether a path is an instance of a model, and which rule decided: what `filesignals explain` tells.
    public enum Verdict: Sendable, Hashable {
        /// An instance; `pattern` is the match pattern that selected it (nil when the model matches every file).
        case instance(Location, matchedBy: GlobPattern?)
        /// Outside every folder of the model.
        case outsideFolders
        /// In a subfolder of a model that is not recursive.
        case inSubfolderOfFlatModel(Location)
        /// Taken out by an exclude or ignore pattern.
        case excluded(Location, ExclusionList.Exclusion)
        /// In the model's folders but matched by none of its patterns.
        case matchedNoPattern(Location)
    }

    /// Decides whether the file at absolute `path` is an instance of this model, and why.
    public func verdict(for path: RawPath) -> Verdict {
        guard let location = location(of: path) else { return .outsideFolders }
        return verdict(relative: location.relativePath, location: location)
    }

    /// The membership rule, in one place: a file is an instance unless it is in a subfolder of a flat model,
    /// excluded (by a pattern on it or on a folder above it), or matched by none of the `match` patterns.
    /// - Parameter location: the file's location for the verdict; nil when only the kind of verdict matters
    ///   (``includesFile(_:)``, on every event), where a placeholder location saves making one.
    private func verdict(relative: RawPath, location: Location?) -> Verdict {
        let location = location ?? Self.noLocation
        if !recursive && relative.bytes.contains(UInt8(ascii: "/")) { return .inSubfolderOfFlatModel(location) }
        if let exclusion = exclusions.exclusion(ofFile: relative) { return .excluded(location, exclusion) }
        if match.isEmpty { return .instance(location, matchedBy: nil) }
        guard let pattern = match.first(where: { $0.matches(relative) }) else { return .matchedNoPattern(location) }
        return .instance(location, matchedBy: pattern)
    }

    private static let noLocation = Location(folder: Folder(path: RawPath("/")), relativePath: RawPath(""), instanceName: RawPath(""))
}
