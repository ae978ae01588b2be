// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// What one receiver is doing now, for `on_busy`: its running runs (to stop them for `restart`) and the
/// signals waiting their turn (for `queue`). Kept across config reloads for a receiver whose `dispatch_uid`
/// (or name) did not change.
actor ReceiverGate {
    private var running: [Int: ProcessRunner.StopHandle] = [:]
    private var nextTicket = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    /// Counts the entries of `restart`, so that a waiting one knows whether a newer one came after it.
    private var latestRestart = 0

    var isBusy: Bool { !running.isEmpty }

    /// Waits until no run is going (`queue`), then registers one.
    func enterWhenFree(_ stop: ProcessRunner.StopHandle) async -> Int {
        while !running.isEmpty { await withCheckedContinuation { waiters.append($0) } }
        return register(stop)
    }

    /// Stops every run going (`restart`), waits until they are gone, then registers one.
    /// - Returns: nil when a newer signal entered this way meanwhile: only the newest waiting one runs (a
    ///   `git checkout` of many files gives one run, for its last signal, not one after the other).
    func enterStoppingOthers(_ stop: ProcessRunner.StopHandle) async -> Int? {
        latestRestart += 1
        let mine = latestRestart
        for handle in running.values { handle.stop() }
        while !running.isEmpty { await withCheckedContinuation { waiters.append($0) } }
        guard mine == latestRestart else {
            // Superseded: the one woken instead of a run must pass the turn on.
            if !waiters.isEmpty { waiters.removeFirst().resume() }
            return nil
        }
        return register(stop)
    }

    /// Registers a run unless one is going (`skip`). - Returns: nil when busy.
    func enterIfFree(_ stop: ProcessRunner.StopHandle) -> Int? {
        running.isEmpty ? register(stop) : nil
    }

    /// Registers a run whatever is going (`parallel`).
    func enter(_ stop: ProcessRunner.StopHandle) -> Int { register(stop) }

    func leave(_ ticket: Int) {
        running[ticket] = nil
        if running.isEmpty, !waiters.isEmpty { waiters.removeFirst().resume() }
    }

    /// Stops every run going (shutdown).
    func stopAll() { for handle in running.values { handle.stop() } }

    private func register(_ stop: ProcessRunner.StopHandle) -> Int {
        nextTicket += 1
        running[nextTicket] = stop
        return nextTicket
    }
}
