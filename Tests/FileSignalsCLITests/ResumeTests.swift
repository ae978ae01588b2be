// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc
import Testing
import TestSupport

/// `watch --json --since SEQ`: a consumer of the JSON lines resumes where it stopped, from the journal, then
/// live, with no gap and no repeat. The built binary, a real state database.
@Suite("Resuming the JSON lines with --since", .ownThreads(timeLimit: .seconds(120)))
struct ResumeTests {
    @Test("after a stop: exactly the journaled signals after SEQ, then what changed meanwhile, then the live ones")
    func resumeAfterStop() throws {
        let folder = try TemporaryFolder()
        let outside = try TemporaryFolder()
        let state = outside.path + "/state.db"
        let first = try RunningCommand.watching(folder, ["--state", state])
        for index in 1...3 { try folder.shell("echo \(index) > f\(index).md") }
        first.wait { $0.signals.count >= 6 }
        let seen = first.stopCleanly().stdout
        try #require(seen.count == 6, "\(seen)")
        // While nobody watches: one file changed, one removed.
        try folder.shell("echo new > f4.md; rm f1.md")

        let second = try RunningCommand.watching(folder, ["--state", state, "--since", "2"])
        // The journal's four, then the catch-up's four (created f4, deleted f1).
        second.wait { $0.signals.count >= 8 }
        try folder.shell("echo live > f5.md")
        second.wait { $0.signals.count >= 10 }
        let resumed = second.stopCleanly()
        #expect(Array(resumed.stdout.prefix(4)) == Array(seen[2...]), "the journal's lines are the lines printed then")
        #expect(resumed.signals.compactMap(\.seq) == Array(3...12), "\(resumed.summary)")
        #expect(Array(resumed.summary[4...]) == [
            "pre_save f4.md", "post_save f4.md created:true", "pre_delete f1.md", "post_delete f1.md",
            "pre_save f5.md", "post_save f5.md created:true",
        ])
    }

    @Test("after kill -9 with lines not yet printed: each signal once, in order")
    func resumeAfterKill() throws {
        let folder = try TemporaryFolder()
        let outside = try TemporaryFolder()
        let state = outside.path + "/state.db"
        let first = try RunningCommand.watching(folder, ["--state", state])
        try folder.shell("for i in $(seq 1 200); do echo $i > f$i.md; done")
        // Killed in the middle of the burst: some lines out, some recorded and never printed.
        first.wait { $0.signals.count >= 50 }
        first.send(SIGKILL)
        let seen = first.waitForExit().signals.compactMap(\.seq)
        let lastSeen = try #require(seen.last)

        let second = try RunningCommand.watching(folder, ["--state", state, "--since", String(lastSeen)])
        // Every file is reported once over both runs: 400 signals.
        second.wait { $0.signals.count >= 400 - seen.count }
        let resumed = second.stopCleanly().signals
        let all = seen + resumed.compactMap(\.seq)
        #expect(all == Array(1...Int(all.count)), "a seq is missing or repeated: \(all)")
        let saved = Set((try #require(SignalLine.all(in: first.snapshot.stdout)) + resumed).filter { $0.signal == "post_save" }.compactMap(\.instance))
        #expect(saved.count == 200)
    }

    @Test("a seq the journal no longer has, or never had, is warned of; --since needs --json and a state")
    func gapsAndMisuse() throws {
        let folder = try TemporaryFolder()
        let outside = try TemporaryFolder()
        let state = outside.path + "/state.db"
        let first = try RunningCommand.watching(folder, ["--state", state])
        try folder.shell("echo 1 > a.md")
        first.wait { $0.signals.count >= 2 }
        _ = first.stopCleanly()
        let ahead = try RunningCommand.watching(folder, ["--state", state, "--since", "99"])
        let output = ahead.stopCleanly()
        #expect(output.stdout.isEmpty)
        #expect(output.stderr.contains { $0.contains("--since 99 is beyond the last signal recorded (2)") }, "\(output.stderr)")
        for (extra, message) in [(["--since", "1"], "it needs --json"), (["--json", "--no-state", "--since", "1"], "leave out --no-state")] {
            let refused = try RunningCommand(["watch", folder.path] + extra).waitForExit()
            #expect(refused.exitStatus == 64)
            #expect(refused.stderr.contains { $0.contains(message) }, "\(refused.stderr)")
        }
    }
}
