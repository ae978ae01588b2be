// SPDX-License-Identifier: GPL-2.0-or-later

/// One signal as the journal keeps it: its JSON line, and whether its dispatch finished.
public struct JournalEntry: Sendable, Hashable {
    public var seq: Int64
    public var signal: String
    public var sender: String
    /// The JSON line, without its newline.
    public var line: [UInt8]
    /// Whether every receiver (and the printing of the line) had finished with it.
    public var isDone: Bool
    /// Each delivery's state, by receiver (``Delivery/receiver``), in the order recorded. Empty for a signal
    /// that reached no receiver, and for one recorded before deliveries were kept, whose unfinished deliveries
    /// are those of every receiver (see ``pendingDeliveries``).
    public var deliveries: [(receiver: String, state: Delivery.State)] = []

    /// The receivers that have yet to finish with it; nil for a signal recorded before deliveries were kept
    /// (all of today's receivers, then).
    public var pendingDeliveries: [String]? {
        if deliveries.isEmpty { return isDone ? [] : nil }
        return deliveries.filter { $0.state == .pending }.map(\.receiver)
    }

    /// The line with its delivery states added (`"deliveries":{"rebuild":"done"}`), as `filesignals log` prints it.
    public var lineWithDeliveries: [UInt8] { line(withDeliveries: [:]) }

    /// ``lineWithDeliveries``, and `"dead":{"RECEIVER":"why"}` for the dead ones `why` explains.
    public func line(withDeliveries why: [String: String]) -> [UInt8] {
        guard !deliveries.isEmpty, line.last == UInt8(ascii: "}") else { return line }
        var json = JSONWriter()
        for delivery in deliveries { json.string(key: delivery.receiver, delivery.state.rawValue) }
        var result = line.dropLast() + Array(#","deliveries":"#.utf8) + json.finished()
        if !why.isEmpty {
            var dead = JSONWriter()
            for (receiver, reason) in why.sorted(by: { $0.key < $1.key }) { dead.string(key: receiver, reason) }
            result += Array(#","dead":"#.utf8) + dead.finished()
        }
        return result + [UInt8(ascii: "}")]
    }

    public static func == (left: JournalEntry, right: JournalEntry) -> Bool {
        (left.seq, left.signal, left.sender, left.line, left.isDone) == (right.seq, right.signal, right.sender, right.line, right.isDone)
            && left.deliveries.elementsEqual(right.deliveries) { $0.receiver == $1.receiver && $0.state == $1.state }
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(seq) }

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
