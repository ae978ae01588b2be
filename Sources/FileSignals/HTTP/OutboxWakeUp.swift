// SPDX-License-Identifier: GPL-2.0-or-later
import Synchronization

/// Tells the url receivers' deliverers of a running bridge to look at the outbox again: after
/// `filesignals retry` made dead deliveries pending (it sends the bridge SIGUSR1).
public final class OutboxWakeUp: Sendable {
    private let listeners = Mutex<[@Sendable () -> Void]>([])

    public init() {}

    /// Wakes every deliverer listening.
    public func ring() {
        for listener in listeners.withLock({ $0 }) { listener() }
    }

    func listen(_ body: @escaping @Sendable () -> Void) {
        listeners.withLock { $0.append(body) }
    }
}
