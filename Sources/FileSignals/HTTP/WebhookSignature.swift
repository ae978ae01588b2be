// SPDX-License-Identifier: GPL-2.0-or-later
import Crypto
import Foundation

/// Signs a request as Standard Webhooks do: `webhook-id`, `webhook-timestamp` (Unix seconds) and
/// `webhook-signature`, `v1,` and the base64 of HMAC-SHA256 over `ID.TIMESTAMP.BODY` with the secret's key.
struct WebhookSignature: Sendable {
    /// The key's bytes (`SymmetricKey` is not `Sendable`).
    private let key: [UInt8]

    /// A secret as Standard Webhooks write it, `whsec_` and the key in base64; any other text is the key's
    /// bytes as they are (surrounding white space and a final newline left out).
    init?(secret: String) {
        let trimmed = secret.trimmingWhitespace()
        guard !trimmed.isEmpty else { return nil }
        if trimmed.hasPrefix("whsec_") {
            guard let bytes = Data(base64Encoded: String(trimmed.dropFirst("whsec_".count))), !bytes.isEmpty else { return nil }
            key = [UInt8](bytes)
        } else {
            key = Array(trimmed.utf8)
        }
    }

    /// The three headers for a request with message id `id` and `body`, sent at `timestamp`.
    func headers(id: String, timestamp: Int64, body: [UInt8]) -> [(String, String)] {
        var signed = Array("\(id).\(timestamp).".utf8)
        signed += body
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: key))
        return [
            ("webhook-id", id), ("webhook-timestamp", String(timestamp)),
            ("webhook-signature", "v1," + Data(mac).base64EncodedString()),
        ]
    }
}
