// SPDX-License-Identifier: GPL-2.0-or-later
import Glibc

/// Reads a `url` receiver's secret or token file, which must be protected as a config that runs commands is,
/// and more: a regular file (not a symbolic link), owned by the bridge's user or root, and neither readable
/// nor writable by anyone else (`chmod 600`).
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
        if info.st_mode & 0o077 != 0 { return "can be read or written by group or others. Fix: chmod 600" }
        if info.st_size > 65536 { return "is larger than 64 KiB; a secret is a line" }
        return nil
    }

    /// What is wrong with the file's content as `key` (`secret_file`, `token_file`): never the content itself.
    package static func contentProblem(of path: String, key: String) -> String? {
        guard let text = try? read(path, receiver: "", key: key) else { return "cannot be read" }
        if key == "secret_file" {
            return WebhookSignature(secret: text) == nil ? "holds no usable secret: expected whsec_ and base64, or the key itself" : nil
        }
        let token = text.trimmingWhitespace()
        if token.isEmpty { return "is empty" }
        if token.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) { return "holds more than one line, or a control character; a token is one line" }
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
