// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc
import Testing
import TestSupport

/// `filesignals state`: the databases that watches started from the command line leave under
/// `$XDG_STATE_HOME/filesignals`, listed with what they watch, and pruned when unused.
@Suite("filesignals state", .ownThreads(timeLimit: .seconds(60)))
struct StateCommandTests {
    @Test("lists each database with the folders and patterns it belongs to; --prune removes the unused ones, never one in use")
    func listAndPrune() throws {
        let home = try TemporaryFolder()
        let kept = try TemporaryFolder(), old = try TemporaryFolder()
        let environment = ["XDG_STATE_HOME": home.path]
        let running = try RunningCommand(["watch", kept.path, "--match", "*.md"], environment: environment)
        try #require(running.waitUntilReady(), "\(running.snapshot.stderr)")
        let stopped = try RunningCommand(["watch", old.path], environment: environment)
        try #require(stopped.waitUntilReady(), "\(stopped.snapshot.stderr)")
        _ = stopped.stopCleanly()

        let listed = try RunningCommand(["state"], environment: environment).waitForExit()
        #expect(listed.exitStatus == 0)
        #expect(listed.stdout.count == 2, "\(listed.stdout)")
        #expect(listed.stdout.contains { $0.contains("File: \(kept.path), match *.md (in use)") }, "\(listed.stdout)")
        #expect(listed.stdout.contains { $0.contains("File: \(old.path)  ") && !$0.contains("in use") }, "\(listed.stdout)")

        // Both last used long ago, as far as their files tell.
        try home.shell("touch -d '2020-01-01' filesignals/*.db filesignals/*.db-wal 2>/dev/null; true")
        let pruned = try RunningCommand(["state", "--prune", "30d"], environment: environment).waitForExit()
        #expect(pruned.exitStatus == 0)
        #expect(pruned.stderr.contains { $0.contains("removed") && $0.contains("File: \(old.path)") }, "\(pruned.stderr)")
        #expect(pruned.stdout.count == 1 && pruned.stdout[0].contains("(in use)"), "\(pruned.stdout)")
        let left = try FileManager.default.contentsOfDirectory(atPath: home.path + "/filesignals")
        #expect(left.filter { $0.hasSuffix(".db") }.count == 1, "\(left)")
        _ = running.stopCleanly()
    }
}
