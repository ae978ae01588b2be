// SPDX-License-Identifier: GPL-2.0-or-later
import Glibc

/// What the instance table knows of one file at one moment: the `lstat` of it.
///
/// Symbolic links are never followed: the state of a link is the state of the link itself.
public struct InstanceState: Hashable, Sendable {
    /// The inode number (`st_ino`).
    public var inode: UInt64
    /// The size in bytes (`st_size`).
    public var size: Int64
    /// The file mode bits, type included (`st_mode`).
    public var mode: UInt32
    /// The owning user (`st_uid`).
    public var owner: UInt32
    /// The modification time, nanoseconds since the Unix epoch (`st_mtim`).
    public var mtimeNanoseconds: Int64

    public init(inode: UInt64, size: Int64, mode: UInt32, owner: UInt32, mtimeNanoseconds: Int64) {
        self.inode = inode
        self.size = size
        self.mode = mode
        self.owner = owner
        self.mtimeNanoseconds = mtimeNanoseconds
    }

    /// Reads the state of the file at `path` without following a symbolic link, in it or above it.
    ///
    /// - Returns: nil when nothing is there, when a folder above it is a symbolic link (it is then not in
    ///   the watched tree), or when what is there is neither a regular file nor a symbolic link (folders,
    ///   sockets and devices are never instances).
    public static func read(at path: RawPath) -> InstanceState? {
        if case .present(let state) = look(at: path) { return state }
        return nil
    }

    /// What looking at a path found.
    public enum Look: Sendable, Hashable {
        case present(InstanceState)
        /// Nothing there that is an instance: no file, a folder or device, or a path through a symbolic link.
        case absent
        /// The look itself failed for want of descriptors or memory (receivers may be using every
        /// descriptor the process may have): the file may well be there, so nothing may be concluded yet.
        case unknown
    }

    /// Looks at the file at `path` as ``read(at:)`` does, telling a file that is not there from one that
    /// could not be looked at for now.
    static func look(at path: RawPath) -> Look {
        guard let info = path.statWithoutSymlinks() else {
            return [EMFILE, ENFILE, ENOMEM, EAGAIN, EINTR].contains(errno) ? .unknown : .absent
        }
        return InstanceState(ifInstance: info).map { .present($0) } ?? .absent
    }

    /// The state of a regular file or symbolic link; nil for anything else.
    private init?(ifInstance info: stat) {
        let type = info.st_mode & S_IFMT
        guard type == S_IFREG || type == S_IFLNK else { return nil }
        self.init(info)
    }

    /// Whether what a `CREATE` with no `CLOSE_WRITE` made at `path` is already whole: a symbolic link (`ln -s`)
    /// or a new name of an existing file (`ln`, a hard link), which no writer holds open. True when nothing is
    /// there any more (there is nothing to wait for). The reconciler asks only for paths still unclosed once
    /// their settle window has passed, so a burst of ordinary files never pays for it.
    static func arrivedWhole(at path: RawPath) -> Bool {
        guard let info = path.statWithoutSymlinks() else { return true }
        let type = info.st_mode & S_IFMT
        return type == S_IFLNK || (type == S_IFREG && info.st_nlink > 1)
    }

    /// The state that `info` (from `lstat` or `fstatat`) describes.
    init(_ info: stat) {
        self.init(
            inode: UInt64(info.st_ino),
            size: Int64(info.st_size),
            mode: UInt32(info.st_mode),
            owner: UInt32(info.st_uid),
            mtimeNanoseconds: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        )
    }
}
