// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc
import Testing
import TestSupport

/// Numbers far out of range, in a config, on the command line or in a state database: each is an error that
/// says where it is, never a crash.
@Suite("Numbers out of range", .serialized, .ownThreads(timeLimit: .seconds(60)))
struct OutOfRangeTests {
    @Test("a huge duration in the config is a config error at its line and column, for check and for watch",
          arguments: ["settle = 1000000d", "journal = 300000000000d", "settle = 2h"])
    func hugeDurations(_ line: String) throws {
        let folder = try TemporaryFolder()
        try folder.shell("mkdir notes && printf '[filesignals]\\n\(line)\\n[model Note]\\npath = notes\\n' > filesignals.ini && chmod 644 filesignals.ini")
        for command in [["check"], ["watch", "--json"]] {
            let output = try RunningCommand(command, in: folder.url).waitForExit()
            #expect(output.exitStatus == 78, "\(command): \(output.stderr)")
            #expect(output.stderr.contains { $0.contains("filesignals.ini:2:") && $0.contains("out of range") }, "\(output.stderr)")
        }
    }

    @Test("--settle beyond an hour is a usage error")
    func hugeSettleOption() throws {
        let folder = try TemporaryFolder()
        let output = try RunningCommand(["watch", folder.path, "--settle", "1000000d"]).waitForExit()
        #expect(output.exitStatus == 64, "\(output.stderr)")
        #expect(output.stderr.contains { $0.contains("out of range") }, "\(output.stderr)")
    }

    @Test("a state database whose seq counter is near its end, or that lost a table, is damaged: exit 65",
          arguments: ["UPDATE counter SET value = 9223372036854775806 WHERE name = 'next_seq'", "DROP TABLE journal"])
    func damagedStateDatabase(_ damage: String) throws {
        let folder = try TemporaryFolder()
        let state = try TemporaryFolder()
        let database = state.path + "/s.db"
        _ = try RunningCommand.watching(folder, ["--state", database]).stopCleanly()
        try state.shell("python3 -c \"import sqlite3; c = sqlite3.connect('s.db'); c.execute(\\\"\(damage)\\\"); c.commit()\"")
        let command = try RunningCommand(["watch", folder.path, "--json", "--state", database])
        // Started or not, a write must not make it crash.
        if command.waitUntilReady() { try folder.shell("echo a > a.md") }
        let output = command.wait(upTo: .seconds(10)) { $0.exitStatus != nil }
        if output.exitStatus == nil { command.send(SIGTERM) }
        let end = command.waitForExit()
        #expect(end.exitStatus == 65, "\(end.stderr)")
        #expect(end.stderr.contains { $0.contains("damaged") }, "\(end.stderr)")
    }
}
