// SPDX-License-Identifier: GPL-2.0-or-later

/// One signal as the journal keeps it: its JSON line, and whether its dispatch finished.
public struct JournalEntry: Sendable, Hashable {
    public var seq: Int64
    public var signal: String
    public var sender: String
    /// The JSON line, without its newline.
    public var line: [UInt8]
    /// Whether every receiver (or the printing of the line) had finished with it.
    public var isDone: Bool

    /// The line again, marked `source: "catch-up"`: a signal dispatched again after a crash.
    public var lineForRedispatch: [UInt8] {
        // Keys come in a fixed order and string values escape their quotes, so the first `,"source":"`
        // is the key itself, never part of a file name.
        let key = Array(#","source":""#.utf8)
        guard let start = line.firstRange(of: key)?.upperBound,
              let end = line[start...].firstIndex(of: UInt8(ascii: "\"")) else { return line }
        return Array(line[..<start]) + Array("catch-up".utf8) + Array(line[end...])
    }
}
