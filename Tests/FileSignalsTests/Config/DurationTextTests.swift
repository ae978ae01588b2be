// SPDX-License-Identifier: GPL-2.0-or-later
@testable import FileSignals
import Testing
import TestSupport

@Suite("Durations", .ownThreads())
struct DurationTextTests {
    @Test("parsing what users write", arguments: [
        ("0", Duration.zero), ("50ms", .milliseconds(50)), ("2s", .seconds(2)), ("1m", .seconds(60)),
        ("1h", .seconds(3600)), ("7d", .seconds(604_800)), (" 250ms ", .milliseconds(250)),
    ])
    func parsing(_ text: String, _ expected: Duration) {
        #expect(DurationText.parse(text) == expected)
    }

    @Test("refusing what is not a duration", arguments: ["", "ms", "5", "-5s", "1.5s", "5 s", "5sec", "soon", "9999999999999s"])
    func refusing(_ text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test("formatting reads back to the same duration", arguments: [
        Duration.zero, .milliseconds(50), .milliseconds(1500), .seconds(2), .seconds(120), .seconds(7200), .seconds(86_400),
    ])
    func roundTrip(_ duration: Duration) {
        #expect(DurationText.parse(DurationText.format(duration)) == duration)
    }
}
