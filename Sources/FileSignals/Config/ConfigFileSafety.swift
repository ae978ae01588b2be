// SPDX-License-Identifier: GPL-2.0-or-later
import Glibc

/// The check that a config file, which runs commands, can only have been written by the user who runs
/// `filesignals` (or by root), as ssh checks its keys.
public enum ConfigFileSafety {
    /// Why the file at `path` must not be used, with the command that fixes it; nil when it is safe.
    ///
    /// Refused: a file owned by someone other than the effective user and root, and a file writable by
    /// its group or by others.
    public static func problem(at path: String, file: String) -> ConfigDiagnostic? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }   // unreadable files are reported by the reader
        let user = geteuid()
        if info.st_uid != user && info.st_uid != 0 {
            return ConfigDiagnostic(.error, file: file, at: .init(line: 1, column: 1), """
                the config runs commands and is owned by another user (uid \(info.st_uid)); \
                refusing it. Fix: sudo chown \(user) \(ShellQuoting.quote(file))
                """)
        }
        if info.st_mode & (S_IWGRP | S_IWOTH) != 0 {
            return ConfigDiagnostic(.error, file: file, at: .init(line: 1, column: 1), """
                the config runs commands and is writable by group or others; refusing it. \
                Fix: chmod go-w \(ShellQuoting.quote(file))
                """)
        }
        return nil
    }
}
