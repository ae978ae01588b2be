// SPDX-License-Identifier: GPL-2.0-or-later

/// The one walk of a folder tree: pre-order, never through a symbolic link, into the subfolders a predicate
/// accepts. The watcher walks with it at start, into a new folder and after an overflow (adding each folder's
/// watch before listing it, so that nothing created meanwhile is missed), and `ls` walks with it too.
/// (The first walk of a large tree lists on a second thread, ``FolderLister``, with the same rules.)
enum FolderWalk {
    /// Walks from `top`.
    ///
    /// - Parameters:
    ///   - includeFolder: whether a subfolder (absolute path) is walked into.
    ///   - enter: called with each folder before it is listed; false leaves it unlisted (the watcher could not
    ///     watch it, or walked it already).
    ///   - file: each file found, with its state (nil without `readingStates`, or when it vanished meanwhile).
    ///   - unreadable: a folder that could not be listed, with `errno`.
    static func walk<Failure: Error>(
        from top: RawPath, readingStates: Bool = true, includeFolder: (RawPath) -> Bool,
        enter: (RawPath) throws(Failure) -> Bool, file: (RawPath, InstanceState?) -> Void, unreadable: (RawPath, Int32) -> Void
    ) throws(Failure) {
        var pending = [top]
        while let folder = pending.popLast() {
            guard try enter(folder) else { continue }
            FolderListing.forEachEntry(in: folder, readingStates: readingStates) { name, isFolder, state in
                let path = folder.appending(name)
                if isFolder {
                    if includeFolder(path) { pending.append(path) }
                } else {
                    file(path, state)
                }
            } onError: { code in
                unreadable(folder, code)
            }
        }
    }
}
