// SPDX-License-Identifier: GPL-2.0-or-later

/// What an HTTP answer (or its absence) means for a delivery, and when to try again.
enum DeliveryVerdict: Sendable, Hashable {
    /// A 2xx answer.
    case delivered
    /// A connection error, a timeout, 408, 429 or 5xx: tried again, not before `notBefore` when the server
    /// said so (`Retry-After`).
    case tryAgain(reason: String, notBefore: Duration?)
    /// Any other answer: never tried again (unless `filesignals retry` says so).
    case dead(reason: String)

    /// The verdict on an answer with `status`, its `Retry-After` header and the start of its body.
    static func of(status: Int, retryAfter: String?, body: [UInt8], now: Timestamp = .now()) -> DeliveryVerdict {
        let said = "HTTP \(status)" + Self.excerpt(body)
        switch status {
        case 200..<300: return .delivered
        case 408, 429, 500..<600: return .tryAgain(reason: said, notBefore: retryAfter.flatMap { Self.delay(retryAfter: $0, now: now) })
        default: return .dead(reason: said)
        }
    }

    /// `: ` and the first 200 bytes of `body` as text (control characters shown as `?`), or nothing.
    static func excerpt(_ body: [UInt8]) -> String {
        guard !body.isEmpty else { return "" }
        let text = String(decoding: body.prefix(200), as: UTF8.self).map { $0.isASCII && ($0.asciiValue! < 0x20 || $0.asciiValue! == 0x7F) ? "?" : String($0) }.joined()
        return ": " + text + (body.count > 200 ? "..." : "")
    }

    /// `Retry-After` as a delay: a number of seconds, or an HTTP date (RFC 9110, IMF-fixdate); nil for
    /// anything else.
    static func delay(retryAfter text: String, now: Timestamp) -> Duration? {
        let trimmed = text.trimmingWhitespace()
        if let seconds = Int64(trimmed), seconds >= 0 { return .seconds(min(seconds, 86_400)) }
        guard let date = HTTPDate.parse(trimmed) else { return nil }
        let nanoseconds = date.nanosecondsSinceEpoch - now.nanosecondsSinceEpoch
        return .nanoseconds(max(0, min(nanoseconds, 86_400 * 1_000_000_000)))
    }
}

/// The backoff between attempts: exponential from half a second, doubling up to 5 minutes, with full
/// jitter (a random delay between zero and that), so that many bridges hitting one server do not come back
/// at the same moment; never sooner than the server's `Retry-After`.
struct Backoff: Sendable {
    static let first = Duration.milliseconds(500)
    static let longest = Duration.seconds(300)

    /// The delay before attempt `attempt + 1` (the first attempt is 1).
    static func delay(afterAttempt attempt: Int, notBefore: Duration?, random: (Double) -> Double = { Double.random(in: 0...$0) }) -> Duration {
        let ceiling = min(Double(Self.first.components.seconds) + Double(Self.first.components.attoseconds) / 1e18, 300) * pow2(min(attempt - 1, 20))
        let bounded = min(ceiling, Double(Self.longest.components.seconds))
        let jittered = Duration.milliseconds(Int64(random(bounded) * 1000))
        return max(jittered, notBefore ?? .zero)
    }

    private static func pow2(_ exponent: Int) -> Double { Double(1 << exponent) }
}
