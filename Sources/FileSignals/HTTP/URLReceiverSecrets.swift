// SPDX-License-Identifier: GPL-2.0-or-later
import Glibc

/// Reads a `url` receiver's secret or token file, which must be protected as a config that runs commands is,
/// and more: a regular file (not a symbolic link), owned by the bridge's user or root, writable by nobody
/// else, and readable by no one but its owner and group.
package enum URLReceiverSecrets {
    /// What is wrong with the file at `path` as a secret, or nil when it may be read.
    package static func problem(of path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else {
            return errno == ELOOP ? "is a symbolic link; name the file itself" : "cannot be read: \(String(cString: strerror(errno)))"
        }
        defer { close(descriptor) }
        return problem(ofOpened: descriptor)
    }

    private static func problem(ofOpened descriptor: Int32) -> String? {
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return "is not a regular file" }
        if info.st_uid != getuid() && info.st_uid != 0 { return "belongs to another user; it must be yours or root's" }
        if info.st_mode & 0o022 != 0 { return "is writable by group or others. Fix: chmod go-w,o-r" }
        if info.st_mode & 0o004 != 0 { return "is readable by others. Fix: chmod o-r" }
        if info.st_size > 65536 { return "is larger than 64 KiB; a secret is a line" }
        return nil
    }

    /// The file's text.
    /// - Throws: ``URLReceiverError`` naming the receiver, the key and what is wrong (never the content).
    static func read(_ path: String, receiver: String, key: String) throws -> String {
        func failure(_ problem: String) -> URLReceiverError {
            URLReceiverError(message: "[receiver \(receiver)] \(key) \(path) \(problem)")
        }
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw failure(problem(of: path) ?? "cannot be read") }
        defer { close(descriptor) }
        if let problem = problem(ofOpened: descriptor) { throw failure(problem) }
        var bytes = [UInt8](repeating: 0, count: 65537)
        let count = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        guard count >= 0 else { throw failure("cannot be read: \(String(cString: strerror(errno)))") }
        return String(decoding: bytes[..<count], as: UTF8.self)
    }
}
