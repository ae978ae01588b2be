// SPDX-License-Identifier: GPL-2.0-or-later
import Synchronization

/// Knows when each delivery of a recorded signal is finished, so that the journal marks it done then and not
/// before: a receiver's when it has run, and, when a reader of the JSON lines is confirmed
/// (``OutputProgress``), the ``Delivery/standardOutput`` one when its line has been written. A delivery the
/// bridge dies before finishing is made again at the next start, to its own receiver only.
final class SignalCompletion: Sendable {
    private struct State {
        /// Deliveries still to finish, per signal.
        var pending: [Int64: Set<String>] = [:]
        /// Signals whose line is still to be written, oldest first (lines are written in `seq` order).
        var awaitingOutput: [Int64] = []
        var awaitingOutputHead = 0
        /// Finished since the last ``take()``.
        var finished: [Delivery] = []
    }

    /// What ``whenFinished(_:)`` was given. A reference, not a closure: a closure read back out of a `Mutex`
    /// comes wrapped in one more reabstraction thunk every time, and the chain grew by one at every batch of
    /// done marks, until calling it took most of the printing thread's time (and, given long enough, all of
    /// its stack).
    private final class FinishedHandler: Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    private let state = Mutex(State())
    /// Told whenever a delivery finishes (to wake a thread that waits for every signal to be finished).
    private let onFinished = Mutex<FinishedHandler?>(nil)

    /// Whether a registered delivery has not finished yet.
    var hasUnfinished: Bool { state.withLock { !$0.pending.isEmpty } }

    /// Whether deliveries finished since the last ``take()``.
    var hasFinished: Bool { state.withLock { !$0.finished.isEmpty } }

    /// Calls `body` (from any thread) when a delivery finishes and none finished since the last ``take()``:
    /// once per batch of done marks, which is all a thread that writes them needs to be woken for.
    func whenFinished(_ body: @escaping @Sendable () -> Void) { onFinished.withLock { $0 = FinishedHandler(body) } }

    /// Registers the deliveries of `seq` still to make.
    func expect(_ seq: Int64, deliveries: [String]) {
        guard !deliveries.isEmpty else { return }
        state.withLock { state in
            state.pending[seq, default: []].formUnion(deliveries)
            if deliveries.contains(Delivery.standardOutput) { state.awaitingOutput.append(seq) }
        }
    }

    /// `receiver` has finished with `seq`: made it (`done`), or will never make it (`dropped`).
    func delivered(_ seq: Int64, to receiver: String, _ outcome: Delivery.State = .done) {
        let isFirst = state.withLock { state in
            let wasEmpty = state.finished.isEmpty
            Self.finish(Delivery(seq: seq, receiver: receiver, state: outcome), in: &state)
            return wasEmpty && !state.finished.isEmpty
        }
        if isFirst { onFinished.withLock { $0 }?.body() }
    }

    /// Every line up to `seq` has been written.
    func outputWritten(through seq: Int64) {
        let isFirst = state.withLock { state in
            let wasEmpty = state.finished.isEmpty
            while state.awaitingOutputHead < state.awaitingOutput.count, state.awaitingOutput[state.awaitingOutputHead] <= seq {
                Self.finish(Delivery(seq: state.awaitingOutput[state.awaitingOutputHead], receiver: Delivery.standardOutput), in: &state)
                state.awaitingOutputHead += 1
            }
            // Under a steady flow the list is never empty when looked at: drop the written part now and then.
            if state.awaitingOutputHead >= 4096 || state.awaitingOutputHead == state.awaitingOutput.count {
                state.awaitingOutput.removeFirst(state.awaitingOutputHead)
                state.awaitingOutputHead = 0
            }
            return wasEmpty && !state.finished.isEmpty
        }
        if isFirst { onFinished.withLock { $0 }?.body() }
    }

    /// Puts back deliveries taken by ``take()`` whose done marks could not be saved.
    func restore(_ deliveries: [Delivery]) { state.withLock { $0.finished += deliveries } }

    /// The deliveries finished since the last call.
    func take() -> [Delivery] {
        state.withLock { state in
            defer { state.finished.removeAll() }
            return state.finished
        }
    }

    private static func finish(_ delivery: Delivery, in state: inout State) {
        guard state.pending[delivery.seq]?.remove(delivery.receiver) != nil else { return }
        state.finished.append(delivery)
        if state.pending[delivery.seq]?.isEmpty == true { state.pending[delivery.seq] = nil }
    }
}
