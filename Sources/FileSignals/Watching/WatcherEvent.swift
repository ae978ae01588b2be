// SPDX-License-Identifier: GPL-2.0-or-later

/// What the watcher hands to the rest of the program: plain values copied out of libinotifytools.
public enum WatcherEvent: Sendable, Hashable {
    /// An inotify event about the entry at `path` (absolute). `cookie` pairs `movedFrom` with `movedTo`.
    case changed(path: RawPath, mask: InotifyMask, cookie: UInt32)
    /// A file (or symbolic link) seen by listing a folder, not by an event: during the first walk, or in a
    /// folder that appeared while watching (listed right after its watch was added, so nothing written into
    /// it before the watch existed is missed). The same file may also arrive as `changed`. `state` is its
    /// `lstat` as the listing read it (nil when it was not read).
    case found(path: RawPath, reason: ScanReason, state: InstanceState? = nil)
    /// The first walk of every folder is done: every existing file has been reported as `found`.
    case ready(folders: Int, files: Int)
    /// The kernel's event queue overflowed: events were lost. The watcher follows it with a rescan of every
    /// folder (`found` with reason `rescan`), then `rescanFinished`.
    case overflow
    /// The rescan that follows an overflow is done: every file there is has been reported as `found`.
    case rescanFinished
    /// Something the user should know that does not stop watching (an unreadable folder, say).
    case warning(WatcherWarning)
    /// A folder that could not be watched or listed (no permission, or the watch limit reached with
    /// `keepGoing`): nothing below it is known, so its instances must be left as they were, not deleted.
    case skipped(folder: RawPath)

    /// Why a file was reported by a listing.
    public enum ScanReason: Sendable, Hashable {
        /// The first walk at start-up.
        case initialWalk
        /// A folder created or moved in while watching.
        case newFolder
        /// The rescan after an overflow.
        case rescan
    }
}
