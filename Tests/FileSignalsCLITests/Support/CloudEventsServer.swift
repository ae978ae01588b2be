// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc
import Testing
import TestSupport

/// The CloudEvents endpoint of `CloudEventsServer/server.py`: a real HTTP server, in Python, that parses every
/// request with the CloudEvents SDK for Python, checks Standard Webhooks signatures with Python's own hmac, and
/// answers as its plan says. It can be stopped and started again on the same port.
final class CloudEventsServer: @unchecked Sendable {
    /// One request, as the server saw and answered it.
    struct Request {
        let object: [String: Any]
        var answer: Any? { object["answer"] }
        var isAccepted: Bool { (answer as? Int).map { (200..<300).contains($0) } ?? false }
        var format: String? { object["format"] as? String }
        var parseError: String? { object["parse_error"] as? String }
        var signatureOK: Bool? { object["signature_ok"] as? Bool }
        var authorization: String? { object["auth"] as? String }
        var events: [[String: Any]] { object["events"] as? [[String: Any]] ?? [] }
    }

    static let script = Repository.root.appendingPathComponent("Tests/FileSignalsCLITests/CloudEventsServer/server.py").path

    let folder: TemporaryFolder
    private(set) var port: Int
    private var process: ChildProcess?
    private let secretFile: String?
    /// A certificate and its key (PEM) to serve HTTPS with.
    private let tls: (certificate: String, key: String)?

    /// The endpoint's URL.
    var url: String { "\(tls == nil ? "http" : "https")://127.0.0.1:\(port)/events" }

    /// - Parameter running: start it now; otherwise a port is chosen (free now) and ``start()`` later.
    init(running: Bool = true, secretFile: String? = nil, tls: (certificate: String, key: String)? = nil) throws {
        folder = try TemporaryFolder()
        self.secretFile = secretFile
        self.tls = tls
        port = try Self.freePort()
        try plan([])
        if running { try start() }
    }

    deinit { stop() }

    /// Starts the server on its port and waits until it listens.
    func start() throws {
        let portFile = folder.path + "/port"
        unlink(portFile)
        var arguments = ["/usr/bin/env", "python3", Self.script, "--port", String(port), "--port-file", portFile,
                         "--log", folder.path + "/requests.jsonl", "--plan", folder.path + "/plan.json"]
        if let secretFile { arguments += ["--secret-file", secretFile] }
        if let tls { arguments += ["--tls-cert", tls.certificate, "--tls-key", tls.key] }
        process = try ChildProcess(arguments, stdout: .null, stderr: .inherit)
        try #require(poll(upTo: 30) { access(portFile, F_OK) == 0 }, "the CloudEvents server did not start (is the Python SDK installed? pip install cloudevents)")
    }

    /// Stops the server (SIGKILL): its port refuses connections from now on.
    func stop() {
        guard let process else { return }
        process.kill(SIGKILL)
        _ = process.wait(upTo: .seconds(10))
        self.process = nil
    }

    /// What the next requests get, in order, then `then` (default 200) for every request after.
    func plan(_ answers: [[String: Any]], then: [String: Any] = ["status": 200]) throws {
        let data = try JSONSerialization.data(withJSONObject: ["answers": answers, "then": then])
        try data.write(to: URL(fileURLWithPath: folder.path + "/plan.json"), options: .atomic)
    }

    /// Every request so far.
    var requests: [Request] {
        let text = (try? String(contentsOfFile: folder.path + "/requests.jsonl", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]).map(Request.init)
        }
    }

    /// The events of the accepted requests, in the order they were accepted.
    var acceptedEvents: [[String: Any]] { requests.filter(\.isAccepted).flatMap(\.events) }

    private static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        try #require(bound)
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
