// SPDX-License-Identifier: GPL-2.0-or-later
import Glibc

/// The check that a config file, which runs commands, can only have been written by the user who runs
/// `filesignals` (or by root), as ssh's StrictModes checks its keys.
public enum ConfigFileSafety {
    /// Why the config open as `descriptor` (opened from `path`) must not be used, with the command that fixes
    /// it; nil when it is safe.
    ///
    /// Refused: a file that is not a regular file; a file owned by someone other than the effective user
    /// and root, or writable by its group or by others; a file in a folder, or below a folder, that such a
    /// user could write (they could put another file in its place): every folder from the file's own up to
    /// `/` must belong to the user or root and be writable by nobody else, unless it has the sticky bit
    /// (`/tmp`), where others cannot rename or remove what is not theirs.
    public static func problem(ofOpened descriptor: Int32, path: String, file: String) -> ConfigDiagnostic? {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }   // unreadable files are reported by the reader
        let user = geteuid()
        if info.st_mode & S_IFMT != S_IFREG {
            return refusal(file, "the config is not a regular file; refusing it")
        }
        if info.st_uid != user && info.st_uid != 0 {
            return refusal(file, """
                the config runs commands and is owned by another user (uid \(info.st_uid)); \
                refusing it. Fix: sudo chown \(user) \(ShellQuoting.quote(file))
                """)
        }
        if info.st_mode & (S_IWGRP | S_IWOTH) != 0 {
            return refusal(file, """
                the config runs commands and is writable by group or others; refusing it. \
                Fix: chmod go-w \(ShellQuoting.quote(file))
                """)
        }
        return folderProblem(above: path, file: file, user: user)
    }

    /// The first folder above `path` (after resolving links) that someone other than `user` and root could
    /// write into, as a refusal.
    private static func folderProblem(above path: String, file: String, user: uid_t) -> ConfigDiagnostic? {
        guard let resolved = realpath(path, nil) else { return nil }
        var folder = String(cString: resolved)
        free(resolved)
        while folder != "/" {
            folder = folder.lastIndex(of: "/").map { $0 == folder.startIndex ? "/" : String(folder[..<$0]) } ?? "/"
            var info = stat()
            guard lstat(folder, &info) == 0 else { return nil }
            let isSticky = info.st_mode & S_ISVTX != 0
            if info.st_uid != user && info.st_uid != 0 {
                return refusal(file, """
                    the config runs commands and its folder \(folder) belongs to another user (uid \(info.st_uid)), \
                    who could put another file in its place; refusing it. Move the config to a folder of your own
                    """)
            }
            if info.st_mode & (S_IWGRP | S_IWOTH) != 0 && !isSticky {
                return refusal(file, """
                    the config runs commands and its folder \(folder) is writable by group or others, who could \
                    put another file in its place; refusing it. Fix: chmod go-w \(ShellQuoting.quote(folder))
                    """)
            }
        }
        return nil
    }

    private static func refusal(_ file: String, _ message: String) -> ConfigDiagnostic {
        ConfigDiagnostic(.error, file: file, at: .init(line: 1, column: 1), message)
    }
}
