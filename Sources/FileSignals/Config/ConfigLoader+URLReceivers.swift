// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// `url =` receivers: their endpoint and the keys only they take.
extension ConfigLoader {
    /// The keys only a url receiver takes.
    static let urlKeys = ["format", "source", "type_prefix", "retry_for", "secret_file", "token_file", "ca_file"]
    /// The keys a url receiver does not take: what a process is given.
    static let processKeys = ["cwd", "env", "on_busy", "robust"]

    /// Reads the url receiver of `section` whose `url` is `entry`; nil when it has errors.
    mutating func readURL(_ entry: IniEntry, _ section: IniSection) -> ReceiverDeclaration.Action? {
        let text = entry.value.text
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host?.isEmpty == false else {
            error(entry.value.position, "`\(text)` is not an http:// or https:// URL with a host")
            return nil
        }
        if let port = url.port, !(1...65535).contains(port) {
            error(entry.value.position, "`\(text)` has port \(port); expected 1 to 65535")
            return nil
        }
        if url.user != nil || url.password != nil {
            error(entry.value.position, "a user name or password in `url` is not sent; put a token in token_file (sent as Authorization: Bearer) instead")
            return nil
        }
        var settings = URLReceiverSettings(url: text)
        if let format = section.entry("format"), let value = choice(format, URLReceiverSettings.Format.allCases.map(\.rawValue)) {
            settings.format = URLReceiverSettings.Format(rawValue: value)!
        }
        if let batch = section.entry("batch"), let value = integer(batch, in: 1...1000) {
            if settings.format == .batch {
                settings.batchSize = value
            } else {
                error(batch.position, "`batch` is the number of events a request carries with `format = batch`; this receiver's format is \(settings.format.rawValue)")
            }
        }
        if let source = section.entry("source") {
            if source.value.text.isEmpty { error(source.value.position, "`source` is empty; leave it out for filesignals://HOST/ROOT") }
            settings.source = source.value.text
        }
        if let prefix = section.entry("type_prefix") {
            if prefix.value.text.contains(where: { $0 == " " || $0 == "\t" }) {
                error(prefix.value.position, "`type_prefix` has a space; expected a reverse-DNS prefix such as com.example.files.")
            }
            settings.typePrefix = prefix.value.text
        }
        // `timeout` (read with every receiver's keys) bounds each request; see `readReceiver`.
        if let retry = section.entry("retry_for"), let value = duration(retry, allowZero: true) { settings.retryFor = value }
        settings.secretFile = secretFile(section.entry("secret_file"))
        settings.tokenFile = secretFile(section.entry("token_file"))
        if let ca = section.entry("ca_file") {
            let path = absolute(ca.value.text)
            var info = stat()
            if stat(path, &info) != 0 || info.st_mode & S_IFMT != S_IFREG || access(path, R_OK) != 0 {
                error(ca.value.position, "`ca_file` \(ca.value.text) is not a readable file of PEM certificates")
            }
            settings.caFile = path
        }
        for key in Self.processKeys {
            if let other = section.entry(key) { error(other.position, "`\(key)` is for command and exec receivers; a url receiver sends requests") }
        }
        return .url(settings)
    }

    /// A secret or token file, relative to the root, checked now so that a bad one is a config error.
    private mutating func secretFile(_ entry: IniEntry?) -> String? {
        guard let entry else { return nil }
        let path = absolute(entry.value.text)
        if case .failure(let problem) = URLReceiverSecrets.load(path, key: entry.key) {
            error(entry.value.position, "`\(entry.key)` \(entry.value.text) \(problem.text)")
        }
        return path
    }

    private func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : root.description + "/" + path
    }
}
