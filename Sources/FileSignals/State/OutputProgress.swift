// SPDX-License-Identifier: GPL-2.0-or-later
import Synchronization

/// How the program that prints a bridge's JSON lines tells the bridge which lines its reader has been given,
/// so that a signal counts as done only once its line is out (and is printed again after a crash if not).
///
/// The printer calls ``written(through:)`` as lines leave (they leave in `seq` order); the bridge calls
/// ``flush()`` before it saves its last state, so that lines still waiting are written first.
public final class OutputProgress: Sendable {
    /// A reference, not a closure: a closure read back out of a `Mutex` comes wrapped in one more
    /// reabstraction thunk every time, and a chain of them grew by every line until the stack overflowed.
    private let completion = Mutex<SignalCompletion?>(nil)
    private let flusher: @Sendable () -> Void

    /// - Parameter flush: writes every line still waiting (or gives up when the reader is gone); it may block.
    public init(flush: @escaping @Sendable () -> Void) {
        flusher = flush
    }

    /// Every line up to the signal `seq` has been written.
    public func written(through seq: Int64) {
        completion.withLock { $0 }?.outputWritten(through: seq)
    }

    /// Writes what is still waiting.
    public func flush() { flusher() }

    /// Sends what is written to `completion` (nil: to nobody).
    func report(to completion: SignalCompletion?) {
        self.completion.withLock { $0 = completion }
    }
}
