// SPDX-License-Identifier: GPL-2.0-or-later

/// Sizes as users write them: `4096`, `512k`, `64M`, `2G` (powers of 1024; `K`/`k`, `M`, `G`, `T`, with an
/// optional `B` or `iB`: `64MiB`, `64MB`).
public enum SizeText {
    /// Parses `text` into a number of bytes; nil when it is not a whole number with an optional unit, or
    /// does not fit in 63 bits.
    public static func parse(_ text: String) -> Int64? {
        let trimmed = text.trimmingWhitespace()
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.count <= 18, let value = Int64(digits) else { return nil }
        var unit = trimmed.dropFirst(digits.count).uppercased()
        if unit.hasSuffix("IB") { unit.removeLast(2) } else if unit.hasSuffix("B") { unit.removeLast() }
        let shift: Int64
        switch unit {
        case "": shift = 0
        case "K": shift = 10
        case "M": shift = 20
        case "G": shift = 30
        case "T": shift = 40
        default: return nil
        }
        guard value <= Int64.max >> shift else { return nil }
        return value << shift
    }

    /// `bytes` in the largest unit that keeps it whole: `64M`, `1536k`, `100`.
    public static func format(_ bytes: Int64) -> String {
        for (unit, shift) in [("T", Int64(40)), ("G", 30), ("M", 20), ("k", 10)] where bytes != 0 && bytes % (1 << shift) == 0 {
            return "\(bytes >> shift)\(unit)"
        }
        return "\(bytes)"
    }
}
