// SPDX-License-Identifier: GPL-2.0-or-later
import Synchronization

/// Tells a watchdog (systemd's, through `sd_notify`) whether the bridge's watcher thread still turns: the
/// thread beats at every wake-up, and ``request()`` wakes it, so that an idle bridge beats when asked and a
/// stuck one (blocked in a system call, or in a loop) does not.
public final class Heartbeat: Sendable {
    private struct State {
        var lastBeat = ContinuousClock.now
        var wake: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())

    public init() {}

    /// When the watcher thread last turned.
    public var lastBeat: ContinuousClock.Instant { state.withLock { $0.lastBeat } }

    /// Wakes the watcher thread, which beats once it has handled what was waiting.
    public func request() {
        state.withLock { $0.wake }?()
    }

    func beat() { state.withLock { $0.lastBeat = .now } }

    func attach(wake: @escaping @Sendable () -> Void) { state.withLock { $0.wake = wake } }
}
