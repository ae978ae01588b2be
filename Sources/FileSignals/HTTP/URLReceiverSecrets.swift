// SPDX-License-Identifier: GPL-2.0-or-later
import Glibc

/// Reads a `url` receiver's secret or token file, which must be protected as a config that runs commands is,
/// and more: a regular file (not a symbolic link), owned by the bridge's user or root, and neither readable
/// nor writable by anyone else (`chmod 600`). One rule for the config check and for the deliverer: the file
/// is opened once, checked through that descriptor, read, and its content checked for its key.
enum URLReceiverSecrets {
    /// What a secret or token file holds, once read and checked.
    enum Content {
        /// `secret_file`: the key requests are signed with.
        case signature(WebhookSignature)
        /// `token_file`: the bearer token, its one line without surrounding white space.
        case token(String)
    }

    /// What is wrong with a file, said without its content: "is a symbolic link; name the file itself".
    struct Problem: Error {
        let text: String
    }

    /// The file at `path` read as `key` (`secret_file` or `token_file`), or what is wrong with it.
    static func load(_ path: String, key: String) -> Result<Content, Problem> {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else {
            return .failure(Problem(text: errno == ELOOP ? "is a symbolic link; name the file itself" : "cannot be read: \(String(cString: strerror(errno)))"))
        }
        defer { close(descriptor) }
        if let problem = problem(ofOpened: descriptor) { return .failure(Problem(text: problem)) }
        var bytes = [UInt8](repeating: 0, count: 65537)
        let count = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        guard count >= 0 else { return .failure(Problem(text: "cannot be read: \(String(cString: strerror(errno)))")) }
        let text = String(decoding: bytes[..<count], as: UTF8.self)
        if key == "secret_file" {
            guard let signature = WebhookSignature(secret: text) else {
                return .failure(Problem(text: "holds no usable secret: expected whsec_ and base64, or the key itself"))
            }
            return .success(.signature(signature))
        }
        let token = text.trimmingWhitespace()
        if token.isEmpty { return .failure(Problem(text: "is empty")) }
        if token.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return .failure(Problem(text: "holds more than one line, or a control character; a token is one line"))
        }
        return .success(.token(token))
    }

    /// The signing key of `receiver`'s `secret_file`.
    /// - Throws: ``URLReceiverError`` naming the receiver, the key, the file and what is wrong.
    static func signature(at path: String, receiver: String) throws -> WebhookSignature {
        guard case .signature(let signature) = try content(at: path, key: "secret_file", receiver: receiver) else { preconditionFailure() }
        return signature
    }

    /// The bearer token of `receiver`'s `token_file`.
    /// - Throws: ``URLReceiverError`` naming the receiver, the key, the file and what is wrong.
    static func token(at path: String, receiver: String) throws -> String {
        guard case .token(let token) = try content(at: path, key: "token_file", receiver: receiver) else { preconditionFailure() }
        return token
    }

    private static func content(at path: String, key: String, receiver: String) throws -> Content {
        switch load(path, key: key) {
        case .success(let content): return content
        case .failure(let problem): throw URLReceiverError(message: "[receiver \(receiver)] \(key) \(path) \(problem.text)")
        }
    }

    private static func problem(ofOpened descriptor: Int32) -> String? {
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return "is not a regular file" }
        if info.st_uid != getuid() && info.st_uid != 0 { return "belongs to another user; it must be yours or root's" }
        if info.st_mode & 0o077 != 0 { return "can be read or written by group or others. Fix: chmod 600" }
        if info.st_size > 65536 { return "is larger than 64 KiB; a secret is a line" }
        return nil
    }
}
