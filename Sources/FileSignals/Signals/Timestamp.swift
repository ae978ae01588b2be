// SPDX-License-Identifier: GPL-2.0-or-later
import Glibc

/// A wall-clock time with nanosecond resolution, printed as RFC 3339 UTC with microseconds
/// (`2026-11-25T05:30:01.123456Z`).
public struct Timestamp: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Nanoseconds since 1970-01-01T00:00:00Z.
    public var nanosecondsSinceEpoch: Int64

    public init(nanosecondsSinceEpoch: Int64) { self.nanosecondsSinceEpoch = nanosecondsSinceEpoch }

    /// The current time from `CLOCK_REALTIME`.
    public static func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(nanosecondsSinceEpoch: Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec))
    }

    public var description: String {
        var text: [UInt8] = []
        appendRFC3339(to: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// Appends the time as RFC 3339 UTC with microseconds to `bytes` (this runs twice per signal line).
    func appendRFC3339(to bytes: inout [UInt8]) {
        var seconds = time_t(nanosecondsSinceEpoch.floorDivided(by: 1_000_000_000))
        let micros = Int((nanosecondsSinceEpoch - Int64(seconds) * 1_000_000_000) / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        // Digits written from the right into room made for them: no slice, no reversal.
        func put(_ value: Int, width: Int) {
            var value = value
            bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width))
            var index = bytes.count - 1
            for _ in 0..<width {
                bytes[index] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
                index -= 1
            }
        }
        put(Int(parts.tm_year) + 1900, width: 4)
        bytes.append(UInt8(ascii: "-"))
        put(Int(parts.tm_mon) + 1, width: 2)
        bytes.append(UInt8(ascii: "-"))
        put(Int(parts.tm_mday), width: 2)
        bytes.append(UInt8(ascii: "T"))
        put(Int(parts.tm_hour), width: 2)
        bytes.append(UInt8(ascii: ":"))
        put(Int(parts.tm_min), width: 2)
        bytes.append(UInt8(ascii: ":"))
        put(Int(parts.tm_sec), width: 2)
        bytes.append(UInt8(ascii: "."))
        put(micros, width: 6)
        bytes.append(UInt8(ascii: "Z"))
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.nanosecondsSinceEpoch < rhs.nanosecondsSinceEpoch
    }
}

extension Int64 {
    /// Division that rounds toward negative infinity, so times before 1970 print correctly.
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor < 0) ? quotient - 1 : quotient
    }
}
