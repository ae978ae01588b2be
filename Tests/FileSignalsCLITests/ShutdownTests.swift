// SPDX-License-Identifier: GPL-2.0-or-later
import FileSignals
import Foundation
import Glibc
import Testing
import TestSupport

/// Stopping at awkward moments: while a receiver runs, while a burst is being recorded, in the middle of
/// a first walk. Whatever the moment, nothing is lost and nothing is invented.
@Suite("Stopping at awkward moments", .serialized, .ownThreads(timeLimit: .seconds(180)))
struct ShutdownTests {
    /// A folder with `notes/`, and a config whose receiver logs its start and end around `sleep SECONDS`.
    private func project(sleeping seconds: Int) throws -> TemporaryFolder {
        try TemporaryFolder.project(config: """
            [model Note]
            path = notes
            [receiver slow]
            signal = post_save
            command = echo "start $FILESIGNALS_SEQ" >> runs.log; sleep \(seconds); echo "end $FILESIGNALS_SEQ" >> runs.log
            """)
    }

    private func runs(_ folder: TemporaryFolder) -> [String] {
        ((try? String(contentsOfFile: folder.path + "/runs.log", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    @Test("SIGTERM while a receiver runs: it gets its grace and finishes, and its signal is not sent again")
    func termWaitsForReceivers() throws {
        let folder = try project(sleeping: 2)
        let first = try RunningCommand(["watch", "--json"], in: folder.url)
        try #require(first.waitUntilReady(), "\(first.snapshot.stderr)")
        try folder.shell("echo hi > notes/a.md")
        #expect(poll(upTo: 20) { runs(folder).count == 1 })
        _ = first.stopCleanly()
        #expect(runs(folder) == ["start 2", "end 2"], "the receiver finished within the grace")

        let second = try RunningCommand(["watch", "--json"], in: folder.url)
        try #require(second.waitUntilReady(), "\(second.snapshot.stderr)")
        let again = second.stopCleanly()
        #expect(again.stdout.isEmpty && !again.stderr.contains { $0.contains("had not finished") }, "\(again.stderr)")
        #expect(runs(folder).count == 2, "nothing ran again")
    }

    @Test("SIGQUIT, or a second SIGINT, while a receiver runs: it is stopped now, and its signal is dispatched again at the next start",
          arguments: [[SIGQUIT], [SIGINT, SIGINT]])
    func urgentStop(_ signals: [Int32]) throws {
        // Shorter than the grace: a bridge that waited for it would see the run end.
        let folder = try project(sleeping: 3)
        let first = try RunningCommand(["watch", "--json"], in: folder.url)
        try #require(first.waitUntilReady(), "\(first.snapshot.stderr)")
        try folder.shell("echo hi > notes/a.md")
        #expect(poll(upTo: 20) { runs(folder).count == 1 })
        for (index, signal) in signals.enumerated() {
            first.send(signal)
            if index < signals.count - 1 { first.wait { $0.stderr.contains { $0.contains("SIGINT again") } } }
        }
        let output = first.waitForExit()
        #expect(output.exitStatus == 0, "\(output.stderr)")
        #expect(output.stderr.contains { $0.contains("stopped now") }, "\(output.stderr)")
        // The receiver's process group is gone with the run: "end" can no longer be written.
        #expect(runs(folder) == ["start 2"])

        let second = try RunningCommand(["watch", "--json"], in: folder.url)
        try #require(second.waitUntilReady(), "\(second.snapshot.stderr)")
        #expect(second.snapshot.stderr.contains { $0.contains("1 signal of the last run had not finished") }, "\(second.snapshot.stderr)")
        second.wait { _ in runs(folder).count == 3 }
        _ = second.stopCleanly()
        #expect(runs(folder) == ["start 2", "start 2", "end 2"], "the same signal (seq 2) ran again, to its end")
    }

    @Test("SIGHUP while a receiver runs: it runs to its end, and the reloaded receivers take the next signal")
    func reloadWhileRunning() throws {
        let folder = try project(sleeping: 2)
        let command = try RunningCommand(["watch", "--json", "--no-state"], in: folder.url)
        try #require(command.waitUntilReady(), "\(command.snapshot.stderr)")
        try folder.shell("echo hi > notes/a.md")
        #expect(poll(upTo: 20) { runs(folder).count == 1 })
        try folder.shell("""
            cat >> filesignals.ini <<'EOF'
            [receiver second]
            signal = post_save
            command = echo "second $FILESIGNALS_INSTANCE" >> runs.log
            EOF
            """)
        command.send(SIGHUP)
        command.wait { $0.stderr.contains { $0.contains("reloaded") } }
        #expect(poll(upTo: 20) { runs(folder).count == 2 })
        try folder.shell("echo hi > notes/b.md")
        #expect(poll(upTo: 20) { runs(folder).count == 5 })
        _ = command.stopCleanly()
        #expect(runs(folder) == ["start 2", "end 2", "start 4", "end 4", "second notes/b.md"], "the running one finished; both ran for b.md")
    }

    @Test("SIGTERM in the middle of a burst: across the stop and a restart, every file is reported exactly once")
    func termMidBurst() async throws {
        let folder = try TemporaryFolder()
        let state = try TemporaryFolder()
        let count = 3000
        let arguments = ["--state", state.path + "/s.db"]
        let first = try RunningCommand.watching(folder, arguments)
        try folder.shell("python3 -c \"[open(f'f{i}.md','w').write('x') for i in range(\(count))]\"")
        await first.waitAsync(upTo: .seconds(60)) { $0.signals.count >= 400 }
        let stopped = first.stopCleanly(upTo: .seconds(60))
        let firstSaves = stopped.signals.filter { $0.signal == "post_save" }.compactMap(\.instance)

        let second = try RunningCommand.watching(folder, arguments)
        await second.waitAsync(upTo: .seconds(60)) { firstSaves.count + $0.signals.filter { $0.signal == "post_save" }.count >= count }
        let output = second.stopCleanly()
        let secondSaves = output.signals.filter { $0.signal == "post_save" }.compactMap(\.instance)
        #expect(firstSaves.count + secondSaves.count == count, "\(firstSaves.count) + \(secondSaves.count)")
        #expect(Set(firstSaves + secondSaves) == Set((0..<count).map { "f\($0).md" }))
        #expect(output.signals.allSatisfy { $0.object["source"] as? String == "catch-up" })
    }

    @Test("digests found in the background are in the state database at once, not only at the next signal or stop")
    func backgroundDigestsRecorded() throws {
        let folder = try TemporaryFolder()
        let state = try TemporaryFolder()
        // More files than the first walk hashes on the spot: the rest are hashed in the background.
        try folder.shell("for i in $(seq 1 2300); do echo \"x$i\" > f$i.md; done")
        let command = try RunningCommand.watching(folder, ["--state", state.path + "/s.db"])
        defer { _ = command.stopCleanly() }
        command.wait { $0.stderr.contains { $0.contains("hashed in the background") } }
        var left = -1
        _ = try poll(upTo: 10) {
            left = try counts(in: state, ["SELECT count(*) FROM instance WHERE sha256 IS NULL"])[0]
            return left == 0
        }
        #expect(left == 0, "instances without a digest in the database")
    }

    @Test("a first walk stopped midway leaves a partial table: the next start catches up with what it holds and learns the rest")
    func partialFirstWalk() throws {
        let folder = try TemporaryFolder()
        let state = try TemporaryFolder()
        try folder.shell("for i in $(seq 1 50); do echo x > f$i.md; done")
        // What a first run killed in the middle of its walk committed: ten of the fifty files, no more.
        do {
            let store = try StateStore(path: state.path + "/s.db")
            var batch = StateStore.Batch(nextSeq: 1)
            batch.tableChanges = (1...10).map { index in
                let path = RawPath(folder.path + "/f\(index).md")
                return .upsert(path, InstanceRecord(sender: "File", instance: RawPath("f\(index).md"), state: InstanceState.read(at: path)!, sha256: nil))
            }
            try store.record(batch)
        }
        // While stopped: of the files recorded, one removed and one changed; of the others, the same.
        try folder.shell("rm f5.md f20.md && echo z >> f7.md && echo z >> f30.md")
        let command = try RunningCommand.watching(folder, ["--state", state.path + "/s.db"])
        try folder.shell("echo y >> f3.md && echo new > new.md")
        command.wait { $0.signals.count >= 8 }
        let output = command.stopCleanly()
        #expect(Set(output.summary) == [
            "pre_delete f5.md", "post_delete f5.md", "pre_save f7.md", "post_save f7.md created:false",
            "pre_save f3.md", "post_save f3.md created:false", "pre_save new.md", "post_save new.md created:true",
        ], "what the table held is caught up with; no file the walk had not reached is reported, as created or deleted")
        #expect(output.signals.count == 8, "\(output.summary)")
        #expect(try firstWalk(in: state) == (51 - 2, true), "the walk, complete now, recorded every file")
    }

    /// The numbers the state database `s.db` in `state` answers to `queries` (each selecting one number), read
    /// by SQLite itself, read-only: beside a running watcher, which holds the database's lock.
    private func counts(in state: TemporaryFolder, _ queries: [String]) throws -> [Int] {
        try """
            import sqlite3, sys
            c = sqlite3.connect('file:s.db?mode=ro', uri=True)
            for query in sys.argv[1:]: print(c.execute(query).fetchone()[0])
            """.write(toFile: state.path + "/counts.py", atomically: true, encoding: .utf8)
        try state.shell("python3 counts.py " + queries.map { "\"\($0)\"" }.joined(separator: " ") + " > counts.txt")
        return try String(contentsOfFile: state.path + "/counts.txt", encoding: .utf8).split(separator: "\n").map { Int($0) ?? -1 }
    }

    /// What the state database holds: its instance rows, and whether its first walk is complete.
    private func firstWalk(in state: TemporaryFolder) throws -> (rows: Int, isComplete: Bool) {
        let numbers = try counts(in: state, ["SELECT count(*) FROM instance", "SELECT count(*) FROM counter WHERE name = 'first_walk_done'"])
        return (numbers[0], numbers[1] == 1)
    }

    /// 20,000 files in 200 folders: a first walk whose rows take the state database a while to write.
    private func largeTree() throws -> TemporaryFolder {
        let folder = try TemporaryFolder()
        try folder.shell("""
            python3 -c "import os; [os.makedirs(f'd{d}', exist_ok=True) or [open(f'd{d}/f{f}.md', 'w').write('x') for f in range(100)] for d in range(200)]"
            """)
        return folder
    }

    @Test("a clean stop at once after a first walk without state writes all of its rows; the next start reports only what changed")
    func stopRightAfterFirstWalk() throws {
        let folder = try largeTree()
        let state = try TemporaryFolder()
        let first = try RunningCommand.watching(folder, ["--state", state.path + "/s.db"])
        let stopped = first.stopCleanly(upTo: .seconds(60))
        #expect(stopped.signals.isEmpty)
        let walk = try firstWalk(in: state)
        #expect(walk.rows == 20_000 && walk.isComplete, "\(walk)")

        try folder.shell("echo changed >> d7/f7.md && rm d9/f9.md && echo new > d3/new.md")
        let second = try RunningCommand.watching(folder, ["--state", state.path + "/s.db", "--delete-settle", "0"])
        second.wait(upTo: .seconds(60)) { $0.signals.count >= 6 }
        let output = second.stopCleanly()
        #expect(Set(output.summary) == ["pre_save d7/f7.md", "post_save d7/f7.md created:false", "pre_delete d9/f9.md",
                                        "post_delete d9/f9.md", "pre_save d3/new.md", "post_save d3/new.md created:true"], "\(output.summary)")
        #expect(output.summary.count == 6)
    }

    @Test("kill -9 at once after the ready line of a first walk without state: the walk is in the database, and a change made then is caught up")
    func killRightAfterFirstWalk() throws {
        let folder = try largeTree()
        let state = try TemporaryFolder()
        let first = try RunningCommand.watching(folder, ["--state", state.path + "/s.db"])
        // Written and closed, then killed before its settle window has passed: never decided by this run.
        try folder.shell("echo changed >> d123/f45.md")
        first.send(SIGKILL)
        _ = first.waitForExit()
        let walk = try firstWalk(in: state)
        #expect(walk.rows == 20_000 && walk.isComplete, "ready means the first walk is in the database: \(walk)")

        let beforeKill = first.snapshot.summary
        try folder.shell("echo new > d3/new.md")
        let second = try RunningCommand.watching(folder, ["--state", state.path + "/s.db", "--delete-settle", "0"])
        let changed = "post_save d123/f45.md created:false"
        second.wait(upTo: .seconds(60)) { $0.summary.contains("post_save d3/new.md created:true") && (beforeKill + $0.summary).contains(changed) }
        let output = second.stopCleanly(upTo: .seconds(60))
        // Reported by the first run before the kill, or caught up now; never lost, never invented.
        #expect((beforeKill + output.summary).contains(changed), "\(beforeKill) then \(output.summary)")
        #expect(Set(output.summary).isSubset(of: ["pre_save d123/f45.md", "post_save d123/f45.md created:false",
                                                  "pre_save d3/new.md", "post_save d3/new.md created:true"]), "\(output.summary)")
        #expect(output.summary.contains("post_save d3/new.md created:true"))
    }

    @Test("SIGTERM during a flood of events stops the watcher while the flood goes on")
    func stopDuringAFlood() throws {
        let folder = try TemporaryFolder()
        let command = try RunningCommand.watching(folder, ["--no-state"])
        // Rewrites 500 files for up to 60 s: far longer than the stop may take.
        let writer = try ChildProcess(["python3", "-c", """
            import time
            end = time.time() + 60
            i = 0
            while time.time() < end:
                open('f%d' % (i % 500), 'w').write('x')
                i += 1
            """], in: folder.path, stdout: .null)
        defer { writer.kill(SIGKILL); _ = writer.wait(upTo: .seconds(5)) }
        command.wait { $0.stdout.count > 1000 }
        command.send(SIGTERM)
        let output = command.waitForExit(upTo: .seconds(15))
        #expect(output.exitStatus == 0, "still running 15 s after SIGTERM while the flood went on")
    }
}

