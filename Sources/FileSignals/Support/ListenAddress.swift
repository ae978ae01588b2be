// SPDX-License-Identifier: GPL-2.0-or-later

/// `HOST:PORT` to listen on, as `metrics =` and `--metrics` take it: `127.0.0.1:9464`, `[::1]:9464`, `0.0.0.0:9464`.
package struct ListenAddress: Sendable, Hashable {
    package var host: String
    package var port: Int

    /// Nil when `text` is not a host, a colon and a port from 0 to 65535.
    package init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, !host.contains(where: { $0 == " " || $0 == "/" }) else { return nil }
        self.host = host
        self.port = port
    }

    package var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
