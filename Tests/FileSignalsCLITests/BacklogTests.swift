// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc
import Testing
import TestSupport

/// Receivers far slower than the changes: a backlog of signals waiting their turn, a crash in the middle of
/// it, and a descriptor limit that leaves little room. Whatever the backlog, the bridge starts, and every
/// accepted signal gets its runs.
@Suite("A backlog of signals", .serialized, .ownThreads(timeLimit: .seconds(180)))
struct BacklogTests {
    /// A folder with `notes/`, and a config with one receiver that runs `command`.
    private func project(_ receiver: String, general: String = "") throws -> TemporaryFolder {
        try TemporaryFolder.project(config: """
            [filesignals]
            \(general)
            [model Note]
            path = notes
            [receiver slow]
            signal = post_save
            \(receiver)
            """)
    }

    @Test("kill -9 with 1,500 signals waiting, then a restart: it replays them and still watches")
    func restartAfterCrashWithBacklog() throws {
        let folder = try project("command = sleep 0.05", general: "jobs = 2")
        let first = try RunningCommand(["watch", "--json", "--results"], in: folder.url)
        try #require(first.waitUntilReady(), "\(first.snapshot.stderr)")
        try folder.shell("for i in $(seq 1 1500); do echo $i > notes/$i.md; done")
        // Once every save is journaled and a few runs are done, most of the 1,500 are still waiting.
        first.wait(upTo: .seconds(60)) { output in
            output.signals.filter { $0.object["type"] as? String == "signal" && $0.signal == "post_save" }.count == 1500
                && output.signals.filter { $0.object["type"] as? String == "result" }.count >= 5
        }
        first.send(SIGKILL)
        _ = first.waitForExit()

        let second = try RunningCommand(["watch", "--json"], in: folder.url)
        try #require(second.waitUntilReady(), "\(second.snapshot.stderr)")
        #expect(second.snapshot.stderr.contains { $0.contains("had not finished; sending them again") })
        try folder.shell("touch notes/after-restart.md")
        let seen = second.wait(upTo: .seconds(30)) { $0.signals.contains { $0.instance == "notes/after-restart.md" && $0.signal == "post_save" } }
        #expect(seen.signals.contains { $0.instance == "notes/after-restart.md" }, "stderr: \(seen.stderr.suffix(5))")
        #expect(!seen.stderr.contains { $0.contains("FD_SETSIZE") })
        second.send(SIGQUIT)
        let output = second.waitForExit()
        #expect(output.exitStatus == 0, "\(output.stderr.suffix(5))")
    }
}

extension BacklogTests {
    @Test("at a low descriptor limit, a run that cannot start waits and is tried again: every save gets its run")
    func runsThatCannotStartAreTriedAgain() throws {
        let folder = try project("""
            command = sleep 0.2; echo "$FILESIGNALS_INSTANCE" >> ../ran.txt
            cwd = notes
            on_busy = parallel
            """, general: "jobs = 8")
        // 30 descriptors: the bridge needs about 18; eight runs at once need 5 each.
        let command = try RunningCommand(
            ["-c", "ulimit -n 30 && exec \"$0\" watch --json --results", BuiltBinary.url.path],
            executable: URL(fileURLWithPath: "/bin/sh"), in: folder.url)
        try #require(command.waitUntilReady(), "\(command.snapshot.stderr)")
        try folder.shell("for i in $(seq 1 40); do echo $i > notes/$i.md; done")
        let ran = { Set(((try? String(contentsOfFile: folder.path + "/ran.txt", encoding: .utf8)) ?? "").split(separator: "\n")) }
        #expect(poll(upTo: 60) { ran().count == 40 }, "ran \(ran().count) of 40; \(command.snapshot.stderr.suffix(5))")
        let output = command.stopCleanly()
        let failed = output.signals.filter { $0.object["type"] as? String == "result" && $0.object["status"] as? String != "exited" }
        #expect(failed.isEmpty, "\(failed.prefix(3))")
        #expect(output.stderr.contains { $0.contains("Too many open files; waiting to try again") }, "the wait is told: \(output.stderr)")
    }
}

/// What a receiver starts outside its process group is stopped with its run.
@Suite("Receivers that leave their group", .serialized, .ownThreads(timeLimit: .seconds(60)))
struct EscapingReceiverTests {
    @Test("a child that starts a session or a process group of its own does not outlive its run")
    func escapedChildrenAreStopped() throws {
        // Unusual sleep lengths, to find these very processes.
        let folder = try TemporaryFolder.project(config: """
            [model Note]
            path = notes
            [receiver escape]
            signal = post_save
            command = setsid sleep 31.25 & bash -c 'set -m; sleep 31.5 & sleep 0.1'; python3 -c 'import os, subprocess; os.setpgid(0, 0); subprocess.Popen(["sleep", "31.75"])'; echo started
            """)
        let command = try RunningCommand(["watch", "--json", "--results", "--no-state"], in: folder.url)
        try #require(command.waitUntilReady(), "\(command.snapshot.stderr)")
        try folder.shell("echo a > notes/a")
        command.wait { $0.signals.contains { $0.object["type"] as? String == "result" } }
        #expect(poll(upTo: 10) { Self.escapees().isEmpty }, "a receiver's escaped child outlived its run: \(Self.escapees())")
        _ = command.stopCleanly()
        for pid in Self.escapees() { kill(pid, SIGKILL) }
    }

    /// The processes this test's receiver started: `sleep` with one of its unusual lengths.
    private static func escapees() -> [pid_t] {
        let lengths: Set<String> = ["31.25", "31.5", "31.75"]
        return ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry in
            guard let pid = pid_t(entry), let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            let words = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return words.count == 2 && words[0].hasSuffix("sleep") && lengths.contains(words[1]) ? pid : nil
        }
    }

    @Test("what escaped with setsid and ended before it was found does not stay a zombie, however runs overlap")
    func noZombiesFromOverlappingRuns() throws {
        let folder = try TemporaryFolder.project(config: """
            [filesignals]
            jobs = 4
            [model Note]
            path = notes
            [receiver escape]
            signal = post_save
            command = setsid sh -c "exit 0" &
            on_busy = parallel
            """)
        let command = try RunningCommand(["watch", "--json", "--results", "--no-state"], in: folder.url)
        try #require(command.waitUntilReady(), "\(command.snapshot.stderr)")
        try folder.shell("for i in $(seq 1 60); do echo $i > notes/f$((i % 20)); done")
        command.wait { $0.results.count >= 20 }
        let zombies = { () -> Int in
            let children = (try? String(contentsOfFile: "/proc/\(command.child.pid)/task/\(command.child.pid)/children", encoding: .utf8)) ?? ""
            return children.split(separator: " ").filter { pid in
                ((try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? "").split(separator: ")").last?.split(separator: " ").first == "Z"
            }.count
        }
        // Each run's end sweeps; once the saves have settled, the last sweep leaves none.
        #expect(poll(upTo: 10) { command.snapshot.results.count >= 20 && zombies() == 0 }, "\(zombies()) zombies under the watcher")
        _ = command.stopCleanly()
    }
}

