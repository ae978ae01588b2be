// SPDX-License-Identifier: GPL-2.0-or-later

/// How a `url =` receiver sends signals: as CloudEvents 1.0 over HTTP POST, from the outbox in the state
/// database, at least once.
public struct URLReceiverSettings: Sendable, Hashable {
    /// How each request carries its events (CloudEvents' HTTP protocol binding).
    public enum Format: String, Sendable, Hashable, CaseIterable {
        /// One event a request, as `application/cloudevents+json`.
        case structured
        /// One event a request: its attributes as `ce-` headers, the signal's JSON as the body.
        case binary
        /// Up to ``URLReceiverSettings/batchSize`` events a request, as `application/cloudevents-batch+json`.
        case batch
    }

    /// The endpoint, `http://` or `https://` (no user name or password: a token goes in `token_file`).
    public var url: String
    public var format: Format = .structured
    /// Events in one request with the `batch` format. Default 100.
    public var batchSize = 100
    /// The CloudEvents `source`; nil for the default, `filesignals://HOST/ROOT` (see ``defaultSource(host:root:)``).
    public var source: String?
    /// The CloudEvents `type` is this prefix and the signal's name: `io.filesignals.post_save`.
    public var typePrefix = "io.filesignals."
    /// How long a request may take, connection included. Default 30 s.
    public var requestTimeout: Duration = .seconds(30)
    /// How long a delivery is tried again after its first attempt failed, before it is dead. Default 1 day.
    public var retryFor: Duration = .seconds(86_400)
    /// A file holding the Standard Webhooks secret (`whsec_` and base64, or the key's bytes as they are).
    public var secretFile: String?
    /// A file holding a token sent as `Authorization: Bearer`.
    public var tokenFile: String?
    /// A PEM file of certificate authorities trusted beside the system's.
    public var caFile: String?

    public init(url: String) {
        self.url = url
    }

    /// The URL as `check` and `explain` show it: its query (which may hold a key) hidden.
    public var shownURL: String {
        guard let query = url.firstIndex(of: "?") else { return url }
        return String(url[..<query]) + "?***"
    }

    /// What `check` and `explain` say of it: where, how, and which files hold its secrets (never what they hold).
    public var summary: [String] {
        var lines = ["POST \(shownURL) as CloudEvents, \(format.rawValue)" + (format == .batch ? " (up to \(batchSize) a request)" : "")]
        var how = ["timeout \(DurationText.format(requestTimeout))", "retry_for \(DurationText.format(retryFor))", "type \(typePrefix)SIGNAL"]
        if let source { how.append("source \(source)") }
        lines.append(how.joined(separator: ", "))
        if let secretFile { lines.append("signed as Standard Webhooks with the secret in \(secretFile)") }
        if let tokenFile { lines.append("Authorization: Bearer, the token in \(tokenFile)") }
        if let caFile { lines.append("trusting the certificate authorities in \(caFile) too") }
        return lines
    }

    /// `filesignals://HOST/ROOT`: the bridge (the host it runs on) and the folder it watches. The root's bytes
    /// outside unreserved ASCII are percent-encoded, so that any folder name makes a valid URI.
    public static func defaultSource(host: String, root: RawPath) -> String {
        "filesignals://" + percentEncoded(Array(host.utf8)) + percentEncoded(root.bytes, keeping: "/")
    }

    /// `bytes` with every byte that is not an unreserved character of RFC 3986 (or in `keeping`) as `%XX`.
    static func percentEncoded(_ bytes: [UInt8], keeping kept: String = "") -> String {
        let unreserved = Set(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8) + Array(kept.utf8))
        var text = ""
        for byte in bytes {
            if unreserved.contains(byte) {
                text.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                text += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return text
    }
}

extension String {
    /// The string with `0`s before it up to `width` characters.
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
