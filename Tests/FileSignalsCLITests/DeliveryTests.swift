// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc
import Testing
import TestSupport

/// The journal keeps one delivery per (signal, receiver): a receiver's slowness never makes another receiver
/// run twice, and a restart after `kill -9` makes only the deliveries that were not finished.
@Suite("Deliveries", .ownThreads(timeLimit: .seconds(180)))
struct DeliveryTests {
    static let config = """
        [model Note]
        path = notes
        match = *.md

        [receiver fast]
        signal = post_save
        sender = Note
        command = printf '%s\\n' "$FILESIGNALS_INSTANCE" >> fast.log

        [receiver slow]
        signal = post_save
        sender = Note
        command = printf '%s\\n' "$FILESIGNALS_INSTANCE" >> slow-started.log; while [ ! -e release-all ] && ! rm release 2>/dev/null; do sleep 0.02; done; printf '%s\\n' "$FILESIGNALS_INSTANCE" >> slow.log
        """

    /// `filesignals log`'s lines: each instance with its delivery states.
    private func deliveries(in folder: TemporaryFolder) -> [String: [String: String]] {
        let log = (try? RunningCommand(["log", "--deliveries"], in: folder.url).waitForExit()) ?? .init()
        var states: [String: [String: String]] = [:]
        for line in log.signals where line.signal == "post_save" {
            states[line.instance ?? "?"] = line.object["deliveries"] as? [String: String] ?? [:]
        }
        return states
    }

    /// Whether `pid` is alive: not gone, and not a zombie (the test process may be a subreaper that has not
    /// reaped it).
    private func isRunning(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: close)...].split(separator: " ").first != "Z"
    }

    private func lines(_ file: String, in folder: TemporaryFolder) -> [String] {
        ((try? String(contentsOfFile: folder.path + "/" + file, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    @Test("kill -9 while a slow receiver works through a burst: on restart only its unfinished deliveries run; the fast one gets nothing twice")
    func killDuringBurst() async throws {
        let folder = try TemporaryFolder.project(config: Self.config)
        let names = (1...8).map { "notes/n\($0).md" }
        let first = try RunningCommand(["watch"], in: folder.url)
        defer { first.send(SIGKILL) }
        #expect(first.waitUntilReady(), "\(first.snapshot.stderr)")
        try folder.shell(names.map { "echo x > \($0)" }.joined(separator: "; "))

        // The slow receiver finishes one run each time the test lets it (`release`): two runs, then the kill
        // comes while the third waits, with every fast delivery done.
        for released in 1...2 {
            try folder.shell("touch release")
            let ran = await first.waitAsync(upTo: .seconds(60)) { _ in self.lines("slow.log", in: folder).count == released }
            #expect(lines("slow.log", in: folder).count == released, "\(ran.stderr)")
        }
        _ = await first.waitAsync(upTo: .seconds(60)) { _ in self.lines("slow-started.log", in: folder).count == 3 }
        var states: [String: [String: String]] = [:]
        _ = await first.waitAsync(upTo: .seconds(60)) { _ in
            states = self.deliveries(in: folder)
            return states.count == names.count && states.values.allSatisfy({ $0["fast"] == "done" }) && states.values.filter({ $0["slow"] == "done" }).count == 2
        }
        try #require(states.count == names.count && states.values.allSatisfy { $0["fast"] == "done" }, "\(states)")
        let slowDoneBeforeKill = Set(states.filter { $0.value["slow"] == "done" }.keys)
        #expect(slowDoneBeforeKill.count == 2, "\(states)")
        first.send(SIGKILL)
        _ = first.waitForExit()

        try folder.shell("touch release-all")
        let second = try RunningCommand(["watch"], in: folder.url)
        defer { second.send(SIGKILL) }
        #expect(second.waitUntilReady(), "\(second.snapshot.stderr)")
        let finished = await second.waitAsync(upTo: .seconds(60)) { _ in Set(self.lines("slow.log", in: folder)).count == names.count }
        #expect(Set(lines("slow.log", in: folder)) == Set(names), "\(finished.stderr)")
        // Let the journal catch up, then compare: every delivery is done, and nothing ran twice that had finished.
        let journaled = await second.waitAsync(upTo: .seconds(30)) { _ in
            self.deliveries(in: folder).values.allSatisfy { $0 == ["fast": "done", "slow": "done"] }
        }
        #expect(deliveries(in: folder).values.allSatisfy { $0 == ["fast": "done", "slow": "done"] }, "\(journaled.stderr)")
        #expect(lines("fast.log", in: folder).sorted() == names, "the fast receiver ran once per file, not again after the restart")
        let started = lines("slow-started.log", in: folder)
        for name in slowDoneBeforeKill {
            #expect(started.filter { $0 == name }.count == 1, "\(name) was done before the kill and ran again: \(started)")
        }
        #expect(finished.stderr.contains { $0.contains("had not finished; sending them again") }, "\(finished.stderr)")
        second.send(SIGTERM)
        #expect(second.waitForExit().exitStatus == 0)
    }

    @Test("a receiver renamed while its deliveries were pending: they are marked dropped, and the new one does not get them")
    func renamedReceiver() async throws {
        let folder = try TemporaryFolder.project(config: Self.config)
        let first = try RunningCommand(["watch"], in: folder.url)
        defer { first.send(SIGKILL) }
        #expect(first.waitUntilReady(), "\(first.snapshot.stderr)")
        try folder.shell("echo x > notes/a.md")
        _ = await first.waitAsync(upTo: .seconds(60)) { _ in self.lines("slow-started.log", in: folder).count == 1 }
        first.send(SIGKILL)
        _ = first.waitForExit()
        #expect(deliveries(in: folder)["notes/a.md"]?["slow"] == "pending")

        try folder.shell("sed -i 's/^\\[receiver slow\\]/[receiver slower]/' filesignals.ini && touch release-all")
        let second = try RunningCommand(["watch"], in: folder.url)
        defer { second.send(SIGKILL) }
        #expect(second.waitUntilReady(), "\(second.snapshot.stderr)")
        second.send(SIGTERM)
        let output = second.waitForExit()
        #expect(deliveries(in: folder)["notes/a.md"] == ["fast": "done", "slow": "dropped"])
        #expect(!output.stderr.contains { $0.contains("sending them again") }, "\(output.stderr)")
        #expect(lines("slow-started.log", in: folder).count == 1, "the renamed receiver did not get the old signal")
    }

    @Test("a receiver left running by a bridge killed with kill -9 is stopped by the next bridge on the same state before it runs again")
    func leftoverRunIsStopped() async throws {
        let folder = try TemporaryFolder.project(config: """
            [model Note]
            path = notes
            [receiver long]
            signal = post_save
            command = echo $$ >> started.log; sleep 313.7
            """)
        defer { try? folder.shell("pkill -f 'sleep 313.7' || true") }
        let first = try RunningCommand(["watch"], in: folder.url)
        defer { first.send(SIGKILL) }
        #expect(first.waitUntilReady(), "\(first.snapshot.stderr)")
        try folder.shell("echo x > notes/a.md")
        _ = await first.waitAsync(upTo: .seconds(30)) { _ in !self.lines("started.log", in: folder).isEmpty }
        let leftover = try #require(lines("started.log", in: folder).first.flatMap { pid_t($0) })
        first.send(SIGKILL)
        _ = first.waitForExit()
        #expect(isRunning(leftover), "the run goes on after its bridge was killed")

        let second = try RunningCommand(["watch"], in: folder.url)
        defer { second.send(SIGKILL) }
        #expect(second.waitUntilReady(), "\(second.snapshot.stderr)")
        _ = await second.waitAsync(upTo: .seconds(20)) { _ in !self.isRunning(leftover) }
        #expect(!isRunning(leftover), "the run the killed bridge left was stopped")
        // Its delivery is made again, once.
        _ = await second.waitAsync(upTo: .seconds(30)) { _ in self.lines("started.log", in: folder).count == 2 }
        #expect(lines("started.log", in: folder).count == 2)
    }
}
