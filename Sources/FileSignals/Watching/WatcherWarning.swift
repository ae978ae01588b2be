// SPDX-License-Identifier: GPL-2.0-or-later
import Glibc

/// Something the watcher has to tell that does not stop it: what, and about which folder.
public enum WatcherWarning: Sendable, Hashable, CustomStringConvertible {
    /// The inotify watch limit was reached (and watching goes on): `folder` and the folders after it are not watched.
    case watchLimitReached(WatcherError, folder: RawPath)
    /// `folder` is on a pseudo file system (`/proc`, `/sys`), which inotify cannot watch: it is not entered.
    case pseudoFileSystem(folder: RawPath, fileSystem: String)
    /// `folder` could not be listed (`listing`) or watched: what is in it is left as it was.
    case unreadableFolder(RawPath, listing: Bool, errno: Int32)
    /// A folder that appeared could not be watched.
    case cannotWatch(WatcherError)
    /// Waiting for events failed: watching stops.
    case pollFailed(errno: Int32)
    /// A top folder was removed or renamed away; it is waited for.
    case topFolderGone(RawPath)
    /// A top folder that was gone exists again, and is watched again.
    case topFolderBack(RawPath)

    public var description: String {
        switch self {
        case .watchLimitReached(let error, let folder):
            return "\(error.description); going on without watching \(folder) and the folders after it"
        case .pseudoFileSystem(let folder, let name):
            return "not going into \(folder): it is on \(name), a pseudo file system that inotify cannot watch"
        case .unreadableFolder(let folder, let listing, let code):
            return "\(listing ? "cannot list" : "cannot watch") \(folder): \(String(cString: strerror(code))); what is in it is left as it was"
        case .cannotWatch(let error):
            return error.description
        case .pollFailed(let code):
            return "watching stopped: poll failed: \(String(cString: strerror(code)))"
        case .topFolderGone(let root):
            return "\(root) is gone; watching for it to come back"
        case .topFolderBack(let root):
            return "\(root) is back; watching it again"
        }
    }
}
