// SPDX-License-Identifier: GPL-2.0-or-later
import Synchronization

/// Knows when each recorded signal is finished, so that the journal marks it done then and not before: when
/// its receivers have all run, and, when a reader of the JSON lines is confirmed (``OutputProgress``), when
/// its line has been written. A signal the bridge dies before finishing is dispatched again at the next start.
final class SignalCompletion: Sendable {
    private struct State {
        /// Parts still to finish, per signal.
        var pending: [Int64: Int] = [:]
        /// Signals whose line is still to be written, oldest first (lines are written in `seq` order).
        var awaitingOutput: [Int64] = []
        var awaitingOutputHead = 0
        /// Finished since the last ``take()``.
        var finished: [Int64] = []
    }

    private let state = Mutex(State())
    /// Told whenever a signal finishes (to wake a thread that waits for every signal to be finished).
    private let onFinished = Mutex<(@Sendable () -> Void)?>(nil)

    /// Whether a registered signal has not finished yet.
    var hasUnfinished: Bool { state.withLock { !$0.pending.isEmpty } }

    /// Calls `body` (from any thread) each time a signal finishes.
    func whenFinished(_ body: @escaping @Sendable () -> Void) { onFinished.withLock { $0 = body } }

    /// Registers `seqs`, each finished once its receivers are (`receivers`) and its line is written (`output`).
    /// A signal with neither is finished at once.
    func expect(_ seqs: [Int64], receivers: Bool, output: Bool) {
        let parts = (receivers ? 1 : 0) + (output ? 1 : 0)
        state.withLock { state in
            guard parts > 0 else { return state.finished += seqs }
            for seq in seqs { state.pending[seq] = parts }
            if output { state.awaitingOutput += seqs }
        }
    }

    /// The receivers of `seq` have all run.
    func receiversFinished(_ seq: Int64) {
        state.withLock { Self.finishPart(of: seq, in: &$0) }
        onFinished.withLock { $0 }?()
    }

    /// Every line up to `seq` has been written.
    func outputWritten(through seq: Int64) {
        state.withLock { state in
            while state.awaitingOutputHead < state.awaitingOutput.count, state.awaitingOutput[state.awaitingOutputHead] <= seq {
                Self.finishPart(of: state.awaitingOutput[state.awaitingOutputHead], in: &state)
                state.awaitingOutputHead += 1
            }
            // Under a steady flow the list is never empty when looked at: drop the written part now and then.
            if state.awaitingOutputHead >= 4096 || state.awaitingOutputHead == state.awaitingOutput.count {
                state.awaitingOutput.removeFirst(state.awaitingOutputHead)
                state.awaitingOutputHead = 0
            }
        }
        onFinished.withLock { $0 }?()
    }

    /// Puts back signals taken by ``take()`` whose done marks could not be saved.
    func restore(_ seqs: [Int64]) { state.withLock { $0.finished += seqs } }

    /// The signals finished since the last call.
    func take() -> [Int64] {
        state.withLock { state in
            defer { state.finished.removeAll() }
            return state.finished
        }
    }

    private static func finishPart(of seq: Int64, in state: inout State) {
        guard let left = state.pending[seq] else { return }
        if left <= 1 {
            state.pending[seq] = nil
            state.finished.append(seq)
        } else {
            state.pending[seq] = left - 1
        }
    }
}
