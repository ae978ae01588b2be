// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc
import Testing
import TestSupport

/// A receiver on the command line, as entr and watchexec users give one: `watch DIR -- PROGRAM ARGS`, `--shell`,
/// `--on`, `--restart`. The built binary, real files, real processes.
@Suite("A receiver on the command line", .timeLimit(.minutes(2)))
struct OneLinerTests {
    /// The lines the program appended to `out` in `folder`'s sibling.
    private func lines(_ file: String) -> [String] {
        ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    @Test("-- PROGRAM ARGS runs for each post_save and post_delete with no shell: a name with shell text in it stays one argument")
    func programAfterTerminator() throws {
        let folder = try TemporaryFolder()
        let outside = try TemporaryFolder()
        let out = outside.path + "/out"
        let command = try RunningCommand(["watch", folder.path, "--no-state", "--", "/bin/sh", "-c", "printf '%s|%s\\n' \"$1\" \"$2\" >> \"$0\"", out, "{signal}", "{instance}"])
        try #require(command.waitUntilReady(), "\(command.snapshot.stderr)")
        let hostile = "a $(touch pwned) `id`;.md"
        FileManager.default.createFile(atPath: folder.path + "/" + hostile, contents: Data("x".utf8))
        #expect(poll(upTo: 30) { lines(out).count >= 1 })
        try FileManager.default.removeItem(atPath: folder.path + "/" + hostile)
        #expect(poll(upTo: 30) { lines(out).count >= 2 })
        _ = command.stopCleanly()
        #expect(lines(out) == ["post_save|\(hostile)", "post_delete|\(hostile)"])
        #expect(access(folder.path + "/pwned", F_OK) != 0 && access(outside.path + "/pwned", F_OK) != 0)
    }

    @Test("--shell runs a shell line with the file in the environment; --on picks the signals")
    func shellLine() throws {
        let folder = try TemporaryFolder()
        let outside = try TemporaryFolder()
        let command = try RunningCommand(["watch", folder.path, "--no-state", "--on", "pre_save", "--shell", "echo \"$FILESIGNALS_SIGNAL $FILESIGNALS_INSTANCE\" >> '\(outside.path)/out'"])
        try #require(command.waitUntilReady(), "\(command.snapshot.stderr)")
        try folder.shell("echo a > a.md")
        #expect(poll(upTo: 30) { lines(outside.path + "/out").count >= 1 })
        try folder.shell("rm a.md")
        _ = command.stopCleanly()
        #expect(lines(outside.path + "/out") == ["pre_save a.md"])
    }

    @Test("--restart stops a run still going when the next signal comes, as for a dev server")
    func restart() throws {
        let folder = try TemporaryFolder()
        let outside = try TemporaryFolder()
        let out = outside.path + "/out"
        // Each run says it started, then waits; only a run that is not stopped says it ended.
        let command = try RunningCommand(["watch", folder.path, "--no-state", "--restart", "--", "/bin/sh", "-c", "echo start \"$1\" >> \"$0\"; sleep 30; echo end >> \"$0\"", out, "{instance}"])
        try #require(command.waitUntilReady(), "\(command.snapshot.stderr)")
        try folder.shell("echo a > a.md")
        #expect(poll(upTo: 30) { lines(out) == ["start a.md"] })
        try folder.shell("echo b > b.md")
        #expect(poll(upTo: 30) { lines(out) == ["start a.md", "start b.md"] })
        let output = command.stopCleanly()
        #expect(output.stderr.contains { $0.contains("command line: post_save a.md") && $0.contains("stopped for a newer signal") }, "\(output.stderr)")
    }

    @Test("what cannot run is a usage error before anything is watched", arguments: [
        (["--shell", "true", "--", "ls"], "give a program after -- or --shell, not both"),
        (["--on", "post_sav", "--", "ls"], "unknown signal `post_sav`; did you mean `post_save`?"),
        (["--restart"], "--on and --restart say how a program runs"),
        (["--", "sh", "-c", "cat {path}"], "a placeholder in it would make a file name code"),
        (["--", "{path}"], "the program of `exec` cannot come from a placeholder"),
        (["--no-receivers", "--", "ls"], "--no-receivers runs nothing"),
    ])
    func refused(_ extra: [String], _ message: String) throws {
        let folder = try TemporaryFolder()
        let output = try RunningCommand(["watch", folder.path] + extra).waitForExit()
        #expect(output.exitStatus == 64)
        #expect(output.stderr.contains { $0.contains(message) }, "\(output.stderr)")
    }
}
