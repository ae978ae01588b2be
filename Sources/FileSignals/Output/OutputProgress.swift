// SPDX-License-Identifier: GPL-2.0-or-later
import Synchronization

/// How the program that prints a bridge's JSON lines tells the bridge which lines its reader has been given,
/// so that a signal counts as done only once its line is out (and is printed again after a crash if not).
///
/// The printer calls ``written(through:)`` as lines leave (they leave in `seq` order); the bridge calls
/// ``flush()`` before it saves its last state, so that lines still waiting are written first.
public final class OutputProgress: Sendable {
    private let listener = Mutex<(@Sendable (Int64) -> Void)?>(nil)
    private let flusher: @Sendable () -> Void

    /// - Parameter flush: writes every line still waiting (or gives up when the reader is gone); it may block.
    public init(flush: @escaping @Sendable () -> Void) {
        flusher = flush
    }

    /// Every line up to the signal `seq` has been written.
    public func written(through seq: Int64) {
        listener.withLock { $0 }?(seq)
    }

    /// Writes what is still waiting.
    public func flush() { flusher() }

    func listen(_ handler: (@Sendable (Int64) -> Void)?) {
        listener.withLock { $0 = handler }
    }
}
