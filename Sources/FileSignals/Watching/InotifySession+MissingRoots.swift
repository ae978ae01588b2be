// SPDX-License-Identifier: GPL-2.0-or-later
import Glibc

/// A top folder that is removed or renamed away is waited for: its nearest existing ancestor is watched until
/// the folder exists again, and it is then watched and listed anew.
extension InotifySession {
    /// A top folder was removed or renamed away: wait for it to exist again by watching its nearest
    /// existing ancestor.
    func rootVanished(_ root: RawPath) {
        guard !missingRoots.contains(root) else { return }
        missingRoots.insert(root)
        emit(.warning(.topFolderGone(root)))
        watchAncestors()
        restoreMissingRoots()
    }

    /// Watches the nearest existing ancestor of every missing top folder for folders being created or moved in.
    func watchAncestors() {
        for root in missingRoots {
            var ancestor = root
            while ancestor.bytes.count > 1, let slash = ancestor.bytes.lastIndex(of: UInt8(ascii: "/")) {
                ancestor = RawPath(bytes: slash == 0 ? [UInt8(ascii: "/")] : Array(ancestor.bytes[..<slash]))
                let flags = InotifyMask([.create, .movedTo]).rawValue | UInt32(IN_ONLYDIR) | UInt32(IN_MASK_ADD)
                let wd = ancestor.withCString { inotify_add_watch(descriptor, $0, flags) }
                if wd >= 0 {
                    ancestorWatches[wd] = ancestor
                    break
                }
            }
        }
    }

    /// Watches again, and lists, every missing top folder that exists again.
    func restoreMissingRoots() {
        for root in missingRoots {
            var info = stat()
            guard root.withCString({ lstat($0, &info) }) == 0, info.st_mode & S_IFMT == S_IFDIR else { continue }
            missingRoots.remove(root)
            emit(.warning(.topFolderBack(root)))
            do {
                try watchTree(root, reason: .newFolder)
            } catch {
                emit(.warning(.cannotWatch(error)))
            }
        }
        // Ancestors no longer needed are unwatched; the others may have come closer to their folder.
        for (wd, _) in ancestorWatches where folderByDescriptor[wd] == nil {
            inotify_rm_watch(descriptor, wd)
        }
        ancestorWatches.removeAll()
        if !missingRoots.isEmpty { watchAncestors() }
    }
}
