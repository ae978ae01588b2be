// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc
import Testing
import TestSupport

/// Receivers run by the built binary: `watch` with a config, loops, SIGHUP, and `send`.
@Suite("Receivers from the command line", .serialized, .ownThreads(timeLimit: .seconds(120)))
struct ReceiverCommandTests {
    @Test("a receiver that writes into the instance it was run for does not loop")
    func noLoop() throws {
        let folder = try TemporaryFolder.project(config: """
            [model Note]
            path = notes
            [receiver stamp]
            signal = post_save
            command = echo stamped >> "$FILESIGNALS_PATH"
            """)
        let command = try RunningCommand(["watch", "--json", "--results", "--no-state"], in: folder.url)
        try #require(command.waitUntilReady(), "\(command.snapshot.stderr)")
        try folder.shell("echo hello > notes/a.md")
        command.wait { $0.results.count >= 2 }
        command.send(SIGTERM)
        let output = command.waitForExit()
        #expect(output.exitStatus == 0)
        #expect(output.results == ["stamp exited", "stamp skipped"])
        #expect((try? String(contentsOfFile: folder.path + "/notes/a.md", encoding: .utf8)) == "hello\nstamped\n")
    }

    @Test("SIGHUP reloads the receivers; an invalid config is reported and the running one stays")
    func reload() throws {
        let folder = try TemporaryFolder.project(config: """
            [model Note]
            path = notes
            [receiver first]
            signal = post_save
            command = echo first >> ../runs.log
            cwd = notes
            """)
        let command = try RunningCommand(["watch", "--json", "--results", "--no-state"], in: folder.url)
        try #require(command.waitUntilReady())
        try folder.shell("echo 1 > notes/a.md")
        command.wait { $0.results.count >= 1 }

        try folder.shell("sed -i 's/first/second/g' filesignals.ini")
        command.send(SIGHUP)
        command.wait { $0.stderr.contains { $0.contains("reloaded") } }
        try folder.shell("echo 2 > notes/b.md")
        command.wait { $0.results.count >= 2 }

        try folder.shell("echo 'comand = oops' >> filesignals.ini")
        command.send(SIGHUP)
        command.wait { $0.stderr.contains { $0.contains("not reloaded") } }
        try folder.shell("echo 3 > notes/c.md")
        command.wait { $0.results.count >= 3 }
        command.send(SIGTERM)
        let output = command.waitForExit()
        #expect(output.results == ["first exited", "second exited", "second exited"])
        #expect(output.stderr.contains { $0.contains("unknown key `comand`") })
        #expect((try? String(contentsOfFile: folder.path + "/runs.log", encoding: .utf8)) == "first\nsecond\nsecond\n")
    }

    @Test("--no-receivers only prints")
    func noReceivers() throws {
        let folder = try TemporaryFolder.project(config: """
            [model Note]
            path = notes
            [receiver marker]
            signal = post_save
            command = touch ran
            """)
        let command = try RunningCommand(["watch", "--json", "--no-receivers", "--no-state"], in: folder.url)
        try #require(command.waitUntilReady())
        try folder.shell("echo 1 > notes/a.md")
        let printed = command.wait { $0.signals.count >= 2 }
        #expect(printed.summary == ["pre_save notes/a.md", "post_save notes/a.md created:true"], "the signals are printed")
        command.send(SIGTERM)
        let output = command.waitForExit()
        #expect(output.exitStatus == 0)
        #expect(output.summary == ["pre_save notes/a.md", "post_save notes/a.md created:true"])
        #expect(access(folder.path + "/ran", F_OK) != 0, "the receiver did not run")
    }

    @Test("send dispatches a custom signal with its arguments, prints each result, and exits 1 when one failed")
    func send() throws {
        let folder = try TemporaryFolder.project(config: """
            [model Note]
            path = notes
            [signal published]
            [receiver announce]
            signal = published
            command = echo "$FILESIGNALS_INSTANCE $FILESIGNALS_ARG_CHANNEL $FILESIGNALS_SOURCE" >> announced.log
            [receiver flaky]
            signal = published
            sender = Note
            command = exit 2
            """)
        try folder.shell("echo x > notes/a.md")
        let output = try RunningCommand(["send", "published", "notes/a.md", "--arg", "channel=web"], in: folder.url).waitForExit()
        #expect(output.exitStatus == 1)
        #expect(output.stdout.map { $0.replacing(/\(\d+ ms\)/, with: "") } == [
            "announce: published notes/a.md: exited 0 ", "flaky: published notes/a.md: exited 2 ",
        ])
        #expect((try? String(contentsOfFile: folder.path + "/announced.log", encoding: .utf8)) == "notes/a.md web send\n")

        let outside = try RunningCommand(["send", "published", "filesignals.ini"], in: folder.url).waitForExit()
        #expect(outside.exitStatus == 65)
        #expect(outside.stderr.contains { $0.contains("not an instance of any model") })
    }
}
