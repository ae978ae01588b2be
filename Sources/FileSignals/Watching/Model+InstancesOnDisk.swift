// SPDX-License-Identifier: GPL-2.0-or-later

extension Model {
    /// Every instance of the model on disk now, sorted by instance name: a walk of its folders with the
    /// same rules the watcher uses (excluded folders are not entered, links are not followed).
    ///
    /// - Parameter onUnreadableFolder: called with a folder that cannot be listed and its `errno`.
    public func instancesOnDisk(onUnreadableFolder: (RawPath, Int32) -> Void = { _, _ in }) -> [Location] {
        var found: [Location] = []
        for folder in folders {
            var pending = [folder.path]
            while let current = pending.popLast() {
                FolderListing.forEachEntry(in: current, readingStates: false, { name, isFolder, _ in
                    let path = current.appending(name)
                    guard let relative = path.relative(to: folder.path) else { return }
                    if isFolder {
                        if includesFolder(relative) { pending.append(path) }
                    } else if let location = instance(at: path), location.folder == folder {
                        found.append(location)
                    }
                }, onError: { code in onUnreadableFolder(current, code) })
            }
        }
        return found.sorted { $0.instanceName < $1.instanceName }
    }
}
