// SPDX-License-Identifier: GPL-2.0-or-later
import Glibc

/// Lists a folder's entries with `readdir`, telling folders from files by `d_type`, and reads each file's
/// `lstat` relative to the open folder (`fstatat`), which spares the kernel a walk down the whole path for
/// every file of a large tree.
enum FolderListing {
    /// Calls `body` with the name of every entry of `folder` except `.` and `..`, whether it is a folder (a
    /// symbolic link to a folder is not: links are never followed), and, for a file, its state (nil when
    /// it vanished meanwhile, or when `readingStates` is false). Sockets, pipes and devices are skipped.
    /// Calls `onError` with `errno` when the folder cannot be opened (not when it is gone, or is a link).
    static func forEachEntry(
        in folder: RawPath,
        readingStates: Bool = true,
        _ body: (RawPath, _ isFolder: Bool, _ state: InstanceState?) -> Void,
        onError: (Int32) -> Void
    ) {
        // Opened with no symbolic link in the path: a folder swapped for a link is not followed out of the tree.
        let opened = folder.openWithoutSymlinks(O_RDONLY | O_DIRECTORY)
        guard opened >= 0, let directory = fdopendir(opened) else {
            let code = errno
            if opened >= 0 { close(opened) }
            // Gone already (removed right after it was created), or replaced by a link (never followed):
            // nothing to list, nothing to report.
            if code != ENOENT && code != ENOTDIR && code != ELOOP { onError(code) }
            return
        }
        defer { closedir(directory) }
        let descriptor = dirfd(directory)
        while let entry = readdir(directory) {
            let (name, type, info) = withUnsafeBytes(of: entry.pointee.d_name) { raw -> (RawPath, UInt8, stat?) in
                let bytes = raw.bindMemory(to: UInt8.self)
                let length = bytes.firstIndex(of: 0) ?? bytes.count
                let name = RawPath(bytes: Array(bytes[..<length]))
                var type = entry.pointee.d_type
                guard type != UInt8(DT_DIR), readingStates || type == UInt8(DT_UNKNOWN) else { return (name, type, nil) }
                // A file's state, or the type the file system did not give.
                var info = stat()
                let found = raw.baseAddress!.withMemoryRebound(to: CChar.self, capacity: length + 1) {
                    fstatat(descriptor, $0, &info, AT_SYMLINK_NOFOLLOW) == 0
                }
                guard found else { return (name, type, nil) }
                switch info.st_mode & S_IFMT {
                case S_IFDIR: type = UInt8(DT_DIR)
                case S_IFREG: type = UInt8(DT_REG)
                case S_IFLNK: type = UInt8(DT_LNK)
                default: type = UInt8(DT_UNKNOWN)
                }
                return (name, type, readingStates ? info : nil)
            }
            if name.bytes == [0x2E] || name.bytes == [0x2E, 0x2E] { continue }
            switch type {
            case UInt8(DT_DIR): body(name, true, nil)
            case UInt8(DT_REG), UInt8(DT_LNK): body(name, false, info.map(InstanceState.init(_:)))
            default: continue
            }
        }
    }
}
