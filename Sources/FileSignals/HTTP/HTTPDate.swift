// SPDX-License-Identifier: GPL-2.0-or-later
import Glibc

/// HTTP dates as `Retry-After` may carry them: IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110).
enum HTTPDate {
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// The time `text` names; nil when it is not an IMF-fixdate.
    static func parse(_ text: String) -> Timestamp? {
        // "Sun," "06" "Nov" "1994" "08:49:37" "GMT"
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[0].hasSuffix(","), parts[5] == "GMT",
              let day = Int32(parts[1]), let month = months.firstIndex(of: String(parts[2])), let year = Int32(parts[3]) else { return nil }
        let clock = parts[4].split(separator: ":")
        guard clock.count == 3, let hour = Int32(clock[0]), let minute = Int32(clock[1]), let second = Int32(clock[2]),
              (1...31).contains(day), (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second) else { return nil }
        var fields = tm()
        fields.tm_year = year - 1900
        fields.tm_mon = Int32(month)
        fields.tm_mday = day
        fields.tm_hour = hour
        fields.tm_min = minute
        fields.tm_sec = second
        // Beyond what nanoseconds since 1970 hold (the year 2262), a date is as good as never: held there.
        let seconds = min(Int64(timegm(&fields)), 9_000_000_000)
        return Timestamp(nanosecondsSinceEpoch: seconds * 1_000_000_000)
    }
}
