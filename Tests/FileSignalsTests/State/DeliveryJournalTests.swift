// SPDX-License-Identifier: GPL-2.0-or-later
@testable import FileSignals
import Testing
import TestSupport

/// The journal as an outbox of deliveries: a signal is recorded with one delivery per receiver, each marked
/// done on its own, and the signal is done once none is pending. Real SQLite in a temporary folder.
@Suite("The journal's deliveries", .ownThreads())
struct DeliveryJournalTests {
    let folder: TemporaryFolder
    let store: StateStore

    init() throws {
        folder = try TemporaryFolder()
        store = try StateStore(path: folder.path + "/state.db")
    }

    private func batch(_ signals: [(seq: Int64, deliveries: [String])]) -> StateStore.Batch {
        var batch = StateStore.Batch(nextSeq: (signals.map(\.seq).max() ?? 0) + 1)
        batch.signals = signals.map { ($0.seq, "post_save", "Note", Array(#"{"type":"signal","seq":\#($0.seq)}"#.utf8), $0.deliveries) }
        return batch
    }

    @Test("each delivery is pending until its own receiver is done; the signal is done when all are")
    func perReceiver() throws {
        try store.record(batch([(1, ["fast", "slow"]), (2, ["fast", "slow"])]))
        #expect(try store.load().unfinished.map(\.pendingDeliveries) == [["fast", "slow"], ["fast", "slow"]])

        try store.markDone([Delivery(seq: 1, receiver: "fast"), Delivery(seq: 2, receiver: "fast")])
        let unfinished = try store.load().unfinished
        #expect(unfinished.map(\.seq) == [1, 2])
        #expect(unfinished.map(\.pendingDeliveries) == [["slow"], ["slow"]], "a restart makes only the slow receiver's deliveries")

        try store.markDone([Delivery(seq: 1, receiver: "slow")])
        #expect(try store.load().unfinished.map(\.seq) == [2])
        let journal = try store.journal(after: 0)
        #expect(journal.map(\.isDone) == [true, false])
        #expect(String(decoding: journal[1].lineWithDeliveries, as: UTF8.self) == #"{"type":"signal","seq":2,"deliveries":{"fast":"done","slow":"pending"}}"#)
    }

    @Test("a delivery dropped (its receiver left the config) finishes its signal, and says it was not made")
    func dropped() throws {
        try store.record(batch([(1, ["fast", "gone"])]))
        try store.markDone([Delivery(seq: 1, receiver: "fast")])
        try store.markDone([Delivery(seq: 1, receiver: "gone", state: .dropped)])
        #expect(try store.load().unfinished.isEmpty)
        #expect(String(decoding: try store.journal(after: 0)[0].lineWithDeliveries, as: UTF8.self).hasSuffix(#""deliveries":{"fast":"done","gone":"dropped"}}"#))
    }

    @Test("the printed line is a delivery too: pending until it is written, done on its own")
    func standardOutput() throws {
        try store.record(batch([(1, [Delivery.standardOutput, "fast"]), (2, [Delivery.standardOutput])]))
        try store.markDone([Delivery(seq: 1, receiver: Delivery.standardOutput), Delivery(seq: 2, receiver: Delivery.standardOutput)])
        #expect(try store.load().unfinished.map(\.pendingDeliveries) == [["fast"]])
        #expect(String(decoding: try store.journal(after: 0)[0].lineWithDeliveries, as: UTF8.self).hasSuffix(#""deliveries":{"(stdout)":"done","fast":"pending"}}"#))
        try store.markDone([Delivery(seq: 1, receiver: "fast")])
        #expect(try store.load().unfinished.isEmpty)
        #expect(try store.journal(after: 0).map(\.isDone) == [true, true])
    }

    @Test("lines leave in seq order: the last one printed marks every line before it; those after it, and a receiver's delivery, stay pending")
    func printedWatermark() throws {
        try store.record(batch((1...10).map { (Int64($0), [Delivery.standardOutput]) } + [(11, [Delivery.standardOutput, "slow"])]))
        try store.markDone([5, 6].map { Delivery(seq: $0, receiver: Delivery.standardOutput) })
        #expect(try store.load().unfinished.map(\.seq) == [7, 8, 9, 10, 11])
        #expect(try store.journal(after: 0).map(\.isDone) == Array(repeating: true, count: 6) + Array(repeating: false, count: 5))
        try store.markDone([Delivery(seq: 11, receiver: Delivery.standardOutput)])
        #expect(try store.load().unfinished.map(\.seq) == [11])
        #expect(try store.load().unfinished.last?.pendingDeliveries == ["slow"])
        // A mark of an earlier line never takes the later ones back.
        try store.markDone([Delivery(seq: 3, receiver: Delivery.standardOutput)])
        #expect(try store.load().unfinished.map(\.seq) == [11])
        try store.markDone([Delivery(seq: 11, receiver: "slow")])
        #expect(try store.load().unfinished.isEmpty)
        #expect(try store.journal(after: 0).allSatisfy(\.isDone))
    }

    @Test("a database of the last schema, which marked each printed line in its row: its waiting lines and deliveries still wait")
    func fromRowMarks() throws {
        let path = folder.path + "/v5.db"
        var old: StateStore? = try StateStore(path: path)
        try old?.record(batch([(1, [Delivery.standardOutput]), (2, [Delivery.standardOutput, "slow"]), (3, [Delivery.standardOutput]), (4, [Delivery.standardOutput]), (5, ["slow"])]))
        // As v5 left it: lines 1 and 2 printed (stdout 2), 3 and 4 not; done meant every delivery, the line's included.
        try old?.database.write { db in
            try db.execute(sql: """
                UPDATE journal SET stdout = 2, done = (seq = 1) WHERE seq <= 2;
                UPDATE journal SET done = 0 WHERE seq >= 3;
                DELETE FROM counter WHERE name = 'printed_through';
                DELETE FROM grdb_migrations WHERE identifier LIKE 'v6%';
                """)
        }
        old?.closeCleanly()
        old = nil
        let reopened = try StateStore(path: path)
        #expect(try reopened.load().unfinished.map(\.seq) == [2, 3, 4, 5])
        #expect(try reopened.load().unfinished.map(\.pendingDeliveries) == [["slow"], [Delivery.standardOutput], [Delivery.standardOutput], ["slow"]])
        try reopened.markDone([Delivery(seq: 4, receiver: Delivery.standardOutput)])
        #expect(try reopened.load().unfinished.map(\.seq) == [2, 5])
    }

    @Test("a signal that reaches no receiver is done as it is recorded")
    func noDelivery() throws {
        try store.record(batch([(1, [])]))
        #expect(try store.load().unfinished.isEmpty)
        #expect(try store.journal(after: 0).map(\.isDone) == [true])
    }

    @Test("a done mark in the batch that records later signals lands with them, in one transaction")
    func doneMarksWithBatch() throws {
        try store.record(batch([(1, ["a"])]))
        var next = batch([(2, ["a"])])
        next.done = [Delivery(seq: 1, receiver: "a")]
        try store.record(next)
        #expect(try store.load().unfinished.map(\.seq) == [2])
    }

    @Test("pruning removes finished signals with their deliveries, never unfinished ones")
    func prune() throws {
        try store.record(batch([(1, ["a"]), (2, ["a"])]))
        try store.markDone([Delivery(seq: 1, receiver: "a")])
        try store.prune(recordedBefore: Timestamp(nanosecondsSinceEpoch: Timestamp.now().nanosecondsSinceEpoch + 1_000_000_000))
        let left = try store.journal(after: 0)
        #expect(left.map(\.seq) == [2])
        #expect(left.first?.pendingDeliveries == ["a"])
    }
}
