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

    @Test("printed lines are marked a run of consecutive seqs at a time: lines not yet printed, in gaps or beside, stay pending")
    func printedRuns() throws {
        try store.record(batch((1...10).map { (Int64($0), [Delivery.standardOutput]) } + [(11, [Delivery.standardOutput, "slow"])]))
        let printed: [Int64] = [9, 1, 2, 3, 5, 6, 11]
        try store.markDone(printed.map { Delivery(seq: $0, receiver: Delivery.standardOutput) })
        #expect(try store.load().unfinished.map(\.seq) == [4, 7, 8, 10, 11])
        #expect(try store.load().unfinished.last?.pendingDeliveries == ["slow"])
        #expect(StateStore.consecutiveRuns([9, 1, 2, 3, 5, 6, 11]) == [1...3, 5...6, 9...9, 11...11])
        #expect(StateStore.consecutiveRuns([]) == [])
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
