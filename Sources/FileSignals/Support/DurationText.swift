// SPDX-License-Identifier: GPL-2.0-or-later

/// Durations as users write them: `250ms`, `2s`, `1m`, `1h`, `7d`, or `0`.
public enum DurationText {
    /// The longest duration read: a hundred years. Longer ones would overflow the clock's arithmetic (a
    /// deadline now + duration), which traps.
    public static let longest = Duration.seconds(100 * 365 * 86_400)

    /// Parses `text` into a duration.
    /// - Returns: nil when the text is not a whole number followed by `ms`, `s`, `m`, `h` or `d` (a bare
    ///   `0` is accepted as zero), or when it is longer than ``longest``.
    public static func parse(_ text: String) -> Duration? {
        guard let duration = parseUnbounded(text), duration <= longest else { return nil }
        return duration
    }

    /// Whether `text` is a well-formed duration longer than ``longest``: out of range, rather than not a duration.
    public static func isTooLong(_ text: String) -> Bool {
        parseUnbounded(text).map { $0 > longest } ?? false
    }

    private static func parseUnbounded(_ text: String) -> Duration? {
        let trimmed = text.trimmingWhitespace()
        if trimmed == "0" { return .zero }
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        let unit = trimmed.dropFirst(digits.count)
        guard !digits.isEmpty, digits.count <= 12, let value = Int64(digits) else { return nil }
        switch unit {
        case "ms": return .milliseconds(value)
        case "s": return .seconds(value)
        case "m": return .seconds(value * 60)
        case "h": return .seconds(value * 3600)
        case "d": return .seconds(value * 86_400)
        default: return nil
        }
    }

    /// `duration` written the way ``parse(_:)`` reads it, in the largest unit that keeps it whole.
    public static func format(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        if milliseconds == 0 { return "0" }
        for (unit, size) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1000)] where milliseconds % size == 0 {
            return "\(milliseconds / size)\(unit)"
        }
        return "\(milliseconds)ms"
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[start...end])
    }
}
