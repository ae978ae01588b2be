// SPDX-License-Identifier: GPL-2.0-or-later
@testable import FileSignals
import Testing
import TestSupport

/// The loop rules alone, with the clock passed in: `loop_limit` pauses, and which saves a pause holds back.
@Suite("Loop guard", .ownThreads())
struct LoopGuardTests {
    let key = LoopGuard.Key(receiver: "count", instance: RawPath("/w/a.md"))
    let start = ContinuousClock.now

    private func save(mtime: Int64) -> SignalPayload {
        SignalPayload(
            seq: 1, time: .now(), signal: "post_save", sender: "Note", instance: RawPath("a.md"), path: RawPath("/w/a.md"),
            source: .live, state: InstanceState(inode: 1, size: 1, mode: 0o100644, owner: 0, mtimeNanoseconds: mtime))
    }

    @Test("past loop_limit runs in the window it pauses until the first leaves it; a save someone else made is held back, one the last run made is not")
    func pauseAndHoldBack() {
        var guardian = LoopGuard(limit: 2, window: .seconds(10))
        let outside = save(mtime: 1_000)   // long before any run
        for offset in [0, 1] {
            guard case .run = guardian.decide(key, for: outside, now: start + .seconds(offset)) else { Issue.record("run \(offset) paused"); return }
        }
        // The last run: it went on for the second before now (wall clock), leaving nothing at its path.
        guardian.runEnded(key, startedAt: LoopGuard.wallClockNanoseconds() - 1_000_000_000, path: RawPath("/nonexistent/a.md"))
        guard case .paused(_, let until, let holdBack) = guardian.decide(key, for: outside, now: start + .seconds(2)) else {
            Issue.record("not paused")
            return
        }
        #expect(until == start + .seconds(10), "the pause ends when the first run leaves the window")
        #expect(holdBack, "a save made after the receiver's last run is kept, to run when the pause ends")
        let madeByTheRun = save(mtime: LoopGuard.wallClockNanoseconds() - 500_000_000)
        guard case .paused(_, _, let heldBack) = guardian.decide(key, for: madeByTheRun, now: start + .seconds(3)) else {
            Issue.record("not paused")
            return
        }
        #expect(!heldBack, "a save made while the last run went on is the loop itself: dropped")
        guard case .run = guardian.decide(key, for: outside, now: start + .seconds(11)) else {
            Issue.record("still paused after the window moved on")
            return
        }
    }
}
