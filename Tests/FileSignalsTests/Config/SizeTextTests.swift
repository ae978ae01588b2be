// SPDX-License-Identifier: GPL-2.0-or-later
@testable import FileSignals
import Testing
import TestSupport

@Suite("Sizes", .ownThreads())
struct SizeTextTests {
    @Test("parsing what users write", arguments: [
        ("0", Int64(0)), ("4096", 4096), ("512k", 524_288), ("512K", 524_288), ("64M", 67_108_864), ("64MiB", 67_108_864),
        ("64MB", 67_108_864), ("2G", 2_147_483_648), (" 1T ", 1_099_511_627_776),
    ])
    func parsing(_ text: String, _ expected: Int64) {
        #expect(SizeText.parse(text) == expected)
    }

    @Test("refusing what is not a size", arguments: ["", "M", "-1", "1.5M", "64 M", "64X", "9999999999T", "99999999999999999999"])
    func refusing(_ text: String) {
        #expect(SizeText.parse(text) == nil)
    }

    @Test("formatting reads back to the same size", arguments: [Int64(0), 1, 1000, 1024, 1536, 64 << 20, 3 << 30])
    func roundTrip(_ size: Int64) {
        #expect(SizeText.parse(SizeText.format(size)) == size)
    }
}
