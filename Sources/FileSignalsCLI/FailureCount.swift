// SPDX-License-Identifier: GPL-2.0-or-later
import Synchronization

/// Counts failed receiver runs, from a dispatcher's report closure: `send` and `scan` exit 1 when any failed.
final class FailureCount: Sendable {
    private let value = Mutex(0)
    func add() { value.withLock { $0 += 1 } }
    var count: Int { value.withLock { $0 } }
}
