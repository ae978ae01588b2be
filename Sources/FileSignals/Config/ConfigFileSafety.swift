// SPDX-License-Identifier: GPL-2.0-or-later
import Glibc

/// The check that a config file, which runs commands, can only have been written by the user who runs
/// `filesignals` (or by root), as ssh's StrictModes checks its keys.
package enum ConfigFileSafety {
    /// Where the file open as `descriptor` really is (`/proc/self/fd`), with no link left in the path.
    package static func location(ofOpened descriptor: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/fd/\(descriptor)", &buffer, buffer.count - 1)
        guard length > 0, buffer[0] == CChar(UInt8(ascii: "/")) else { return nil }
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Why the config open as `descriptor` (opened from `given`, and really at `location`) must not be used,
    /// with the command that fixes it; nil when it is safe.
    ///
    /// Refused: a file that is not a regular file; a file owned by someone other than the effective user
    /// and root, or writable by its group or by others; a path given through a symbolic link that another
    /// user could have planted (see ``FolderLinks``); a file in a folder, or below a folder, that such a
    /// user could write (they could put another file in its place): every folder from the file's own up to
    /// `/` must belong to the user or root and be writable by nobody else. A folder above the file's own may
    /// have the sticky bit (`/tmp`), where others cannot rename or remove what is not theirs; the file's own
    /// folder may not, since its relative paths (models, `cwd`, `./script`) would lead to what others add.
    package static func problem(ofOpened descriptor: Int32, given: String, at location: String, file: String) -> ConfigDiagnostic? {
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
        let absolute = given.hasPrefix("/") ? given : currentFolder() + "/" + given
        if let untrusted = FolderLinks.untrustedLink(on: absolute) {
            return refusal(file, """
                the config runs commands and is reached through \(untrusted.link), a symbolic link in \(untrusted.folder), \
                which others can write: they could point it at another config; refusing it. Give the path it leads to
                """)
        }
        return folderProblem(above: location, file: file, user: user)
    }

    /// The first folder above `path` (after resolving links) that someone other than `user` and root could
    /// write into, as a refusal.
    private static func folderProblem(above path: String, file: String, user: uid_t) -> ConfigDiagnostic? {
        guard let resolved = realpath(path, nil) else { return nil }
        var folder = String(cString: resolved)
        free(resolved)
        var isOwnFolder = true
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
            defer { isOwnFolder = false }
            if info.st_mode & (S_IWGRP | S_IWOTH) != 0 && (!isSticky || isOwnFolder) {
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

    private static func currentFolder() -> String {
        guard let folder = getcwd(nil, 0) else { return "." }
        defer { free(folder) }
        return String(cString: folder)
    }
}
