// SPDX-License-Identifier: GPL-2.0-or-later
import Glibc

/// Why the watcher could not start or go on.
public enum WatcherError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A folder to watch does not exist (or is not a folder).
    case missingFolder(RawPath)
    /// A path given as a folder to watch is a file (or something else that is not a folder).
    case notAFolder(RawPath)
    /// The way to a folder to watch goes through a symbolic link in a folder others can write.
    case untrustedLink(RawPath, FolderLinks.Untrusted)
    /// A folder to watch is on a pseudo file system (`proc`, `sysfs`...), whose changes inotify never reports.
    case pseudoFileSystem(RawPath, name: String)
    /// The per-user inotify watch limit (`fs.inotify.max_user_watches`) was reached: `ENOSPC`.
    case watchLimitReached(limit: Int?)
    /// The per-user inotify instance limit was reached, or the library could not start: `EMFILE` and others.
    case cannotInitialize(errno: Int32)
    /// A folder could not be watched for another reason.
    case cannotWatch(RawPath, errno: Int32)
    /// libinotifytools keeps its state in C globals, so only one watcher may run in a process at a time.
    case alreadyRunning

    public var description: String {
        switch self {
        case .missingFolder(let path):
            return "cannot watch \(path): no such folder"
        case .untrustedLink(let path, let untrusted):
            return "cannot watch \(path): it goes through \(untrusted.link), a symbolic link in \(untrusted.folder), which others can write: they would choose what is watched; give the folder it leads to"
        case .pseudoFileSystem(let path, let name):
            return "cannot watch \(path): it is on \(name), a pseudo file system whose files the kernel makes up as they are read; inotify reports no change there"
        case .notAFolder(let path):
            return "cannot watch \(path): it is neither a folder nor a regular file (a device, a pipe or a socket)"
        case .watchLimitReached(let limit):
            let current = limit.map { " (now \($0))" } ?? ""
            return "the inotify watch limit was reached\(current); raise it with "
                + "`sudo sysctl fs.inotify.max_user_watches=524288`, or watch fewer folders"
        case .cannotInitialize(let code):
            return "cannot start inotify: \(String(cString: strerror(code)))"
        case .cannotWatch(let path, let code):
            return "cannot watch \(path): \(String(cString: strerror(code)))"
        case .alreadyRunning:
            return "a watcher is already running in this process"
        }
    }
}
