// SPDX-License-Identifier: GPL-2.0-or-later

extension Model {
    /// Every instance of the model on disk now, sorted by instance name: a walk of its folders with the
    /// same rules the watcher uses (excluded folders are not entered, links are not followed).
    ///
    /// - Parameter onUnreadableFolder: called with a folder that cannot be listed and its `errno`.
    public func instancesOnDisk(onUnreadableFolder: (RawPath, Int32) -> Void = { _, _ in }) -> [Location] {
        var found: [Location] = []
        for folder in folders {
            FolderWalk.walk(
                from: folder.path, readingStates: false,
                includeFolder: { path in path.relative(to: folder.path).map { includesFolder($0, of: folder) } ?? false },
                enter: { _ in true },
                file: { path, _ in
                    if let location = instance(at: path), location.folder == folder { found.append(location) }
                },
                unreadable: onUnreadableFolder)
        }
        return found.sorted { $0.instanceName < $1.instanceName }
    }
}
