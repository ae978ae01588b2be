// SPDX-License-Identifier: GPL-2.0-or-later
import Glibc

/// Keeps a receiver that writes into a watched model from firing itself without end (the spec's "Loops").
///
/// - A `post_save` that the receiver's own last run made for that instance does not run it again: the
///   instance is exactly as the run left it (inode, size, mode, owner, mtime), and its last modification
///   happened while the run was going. A save after the run (`touch`, `chmod`, the same bytes written again)
///   changes the mtime or the mode, so it is never taken for the receiver's own, whatever its content.
///   inotify does not say who wrote: a save someone else made during the run, and left as the run left it,
///   is taken for the receiver's own.
/// - A receiver run for one instance more than `limit` times within `window` is paused for that instance
///   until the window has moved on. The last save skipped meanwhile that the receiver did not make itself (its
///   mtime is after its last run: someone saving often) runs it when the pause ends, so that the final state
///   of a file is never left unprocessed; a save made during its last run (a loop) is dropped.
struct LoopGuard {
    /// A receiver (by dispatch_uid, or name) and an instance.
    struct Key: Hashable {
        var receiver: String
        var instance: RawPath
    }

    let limit: Int
    let window: Duration
    /// When each receiver's last run for each instance went on, and the state it left the instance in.
    private var lastRuns: [Key: RunTrace] = [:]
    private var recentRuns: [Key: [ContinuousClock.Instant]] = [:]
    private var pausedWarned: Set<Key> = []

    /// A run's span in wall-clock nanoseconds (file times are wall-clock), and the instance's state at its end.
    private struct RunTrace {
        var started: Int64
        var ended: Int64
        var stateAtEnd: InstanceState?
    }

    init(limit: Int, window: Duration) {
        self.limit = limit
        self.window = window
    }

    /// Whether the receiver of `key` runs for `signal`.
    enum Decision {
        case run
        /// Not run: the save is its own write.
        case ownWrite(reason: String)
        /// Not run: paused by `loop_limit` until `until`; `holdBack` when the save is not one the receiver's
        /// last run made, so that it is run when the pause ends if nothing newer came.
        case paused(reason: String, until: ContinuousClock.Instant, holdBack: Bool)
    }

    /// Decides whether the receiver of `key` runs for `signal` at `now`; a `run` answer counts as a run.
    mutating func decide(_ key: Key, for signal: SignalPayload, now: ContinuousClock.Instant = .now) -> Decision {
        let trace = lastRuns[key]
        if signal.signal == ModelSignal.postSave.rawValue, let trace, Self.isOwnWrite(signal.state, of: trace) {
            return .ownWrite(reason: "this save is the receiver's own write")
        }
        var runs = (recentRuns[key] ?? []).filter { now - $0 < window }
        guard runs.count < limit else {
            recentRuns[key] = runs
            let madeByLastRun = trace.map { Self.wasMade(signal.state, during: $0) } ?? false
            let reason = pausedWarned.insert(key).inserted
                ? "run \(runs.count) times for this instance in \(DurationText.format(window)) (loop_limit); paused for it"
                : "paused for this instance (loop_limit)"
            return .paused(reason: reason, until: runs[0] + window, holdBack: !madeByLastRun)
        }
        pausedWarned.remove(key)
        runs.append(now)
        recentRuns[key] = runs
        return .run
    }

    /// Remembers that a run for `key` went on from `started` (``wallClockNanoseconds()``) until now, and what
    /// it left at `path`.
    mutating func runEnded(_ key: Key, startedAt started: Int64, path: RawPath) {
        lastRuns[key] = RunTrace(started: started, ended: Self.wallClockNanoseconds(), stateAtEnd: InstanceState.read(at: path))
    }

    /// Whether a save that left the instance in `state` was made by the run `trace` describes.
    private static func isOwnWrite(_ state: InstanceState?, of trace: RunTrace) -> Bool {
        guard let state, state == trace.stateAtEnd else { return false }
        return wasMade(state, during: trace)
    }

    /// Whether the instance was last modified while the run `trace` describes went on.
    private static func wasMade(_ state: InstanceState?, during trace: RunTrace) -> Bool {
        guard let state else { return false }
        // File times come from the kernel's coarse clock, up to a tick (4 ms at HZ=250) behind the fine one.
        let tick: Int64 = 10_000_000
        return state.mtimeNanoseconds >= trace.started - tick && state.mtimeNanoseconds <= trace.ended + tick
    }

    /// Now, in nanoseconds since the epoch: the clock file times are read against.
    static func wallClockNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}
