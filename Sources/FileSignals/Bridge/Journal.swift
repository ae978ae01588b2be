// SPDX-License-Identifier: GPL-2.0-or-later
import Synchronization

/// The bridge's side of the state database: records batches, and collects the deliveries that finished (from
/// any thread) so that the next batch marks them done in the same transaction.
///
/// Used by one thread at a time: the bridge's task before and after watching, the watcher's thread
/// (``BridgeEngine``) while it runs; the hand-over is ordered by starting and joining that thread.
final class Journal: @unchecked Sendable {
    let store: StateStore?
    let completion = SignalCompletion()
    private var failed = false
    /// Why a batch of the first walk written in the background was refused, if one was, until the walk's last
    /// batch.
    private let walkRefused = Mutex<StateError?>(nil)

    init(store: StateStore?) { self.store = store }

    func open(retention: Duration) throws(StateError) -> StateStore.Contents {
        guard let store else { return StateStore.Contents(table: InstanceTable(), nextSeq: 1, unfinished: [], hasState: false) }
        let cutoff = Timestamp(nanosecondsSinceEpoch: Timestamp.now().nanosecondsSinceEpoch - retention.nanoseconds)
        try store.prune(recordedBefore: cutoff)
        // A first walk stopped midway leaves the part of the table it reached: the next walk compares the disk
        // with that part, and learns the rest (``Reconciler/init(models:options:table:hasState:firstSeq:keepsTableChanges:probe:pressure:)``).
        return try store.load()
    }

    /// Writes a batch; returns why when the database refused it (the last committed state stays), once until
    /// a batch is saved again.
    ///
    /// - Parameter duringFirstWalk: the walk at start-up goes on: a batch of table changes alone (a first
    ///   walk of a new state is nothing else) is written on the database's queue while the walk goes on. The
    ///   batch that completes the walk waits for them, and does not say it is complete when one was refused
    ///   (the next start walks again).
    func record(
        _ emitted: [Bridge.Emitted], tableChanges: [InstanceTableChange], nextSeq: Int64, completesFirstWalk: Bool = false,
        duringFirstWalk: Bool = false
    ) -> StateError? {
        // Taken even without a database, where nothing keeps them: they would pile up.
        let finished = completion.take()
        guard let store else { return nil }
        guard !emitted.isEmpty || !tableChanges.isEmpty || !finished.isEmpty || completesFirstWalk else { return nil }
        var batch = StateStore.Batch(nextSeq: nextSeq)
        batch.signals = emitted.map { ($0.payload.seq, $0.payload.signal, $0.payload.sender, Array($0.line.dropLast()), $0.deliveries) }
        batch.tableChanges = tableChanges
        batch.done = finished
        if duringFirstWalk && emitted.isEmpty && finished.isEmpty && !completesFirstWalk {
            store.recordInBackground(batch) { [self] error in walkRefused.withLock { $0 = $0 ?? error } }
            return nil
        }
        // A refusal is kept for the batch that completes the walk (another batch in between, with signals or
        // done marks, must not take it away): that one does not say the walk is complete, and says why.
        var refused: StateError?
        if completesFirstWalk {
            store.waitForBackgroundWrites()
            refused = walkRefused.withLock { $0.take() }
        }
        batch.completesFirstWalk = completesFirstWalk && refused == nil
        do {
            try store.record(batch)
            if let refused, !failed {
                failed = true
                return refused
            }
            failed = false
            return nil
        } catch {
            completion.restore(finished)
            defer { failed = true }
            return failed ? nil : error
        }
    }

    /// Marks deliveries `dropped` (their receivers are gone from the config), and done the signals that have
    /// nothing left to deliver.
    func drop(_ deliveries: [Delivery], finishing seqs: [Int64] = []) {
        guard let store else { return }
        try? store.markDone(deliveries.map { Delivery(seq: $0.seq, receiver: $0.receiver, state: .dropped) })
        try? store.markDone(signals: seqs)
    }

    /// Marks the last finished deliveries done before the bridge stops.
    func flushDone() {
        guard let store else { return }
        try? store.markDone(completion.take())
    }
}
