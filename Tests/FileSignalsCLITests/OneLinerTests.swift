// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc
import Testing
import TestSupport

/// A receiver on the command line, as entr and watchexec users give one: `watch DIR -- PROGRAM ARGS`, `--shell`,
/// `--on`, `--restart`. The built binary, real files, real processes.
@Suite("A receiver on the command line", .ownThreads(timeLimit: .seconds(120)))
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
        _ = FileManager.default.createFile(atPath: folder.path + "/" + hostile, contents: Data("x".utf8))
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

    @Test("--batch: a burst of 20 files gives one run with 20 JSON lines on stdin and FILESIGNALS_COUNT=20, and each signal is delivered by it in the journal")
    func batch() throws {
        let folder = try TemporaryFolder()
        let outside = try TemporaryFolder()
        let out = outside.path + "/out"
        let state = outside.path + "/state.db"
        let command = try RunningCommand([
            "watch", folder.path, "--state", state, "--batch", "--",
            "/bin/sh", "-c", "printf 'run %s %s\\n' \"$FILESIGNALS_COUNT\" \"$(grep -c post_save)\" >> \"$0\"", out,
        ])
        try #require(command.waitUntilReady(), "\(command.snapshot.stderr)")
        try folder.shell("for i in $(seq 1 20); do echo $i > f$i.md; done")
        #expect(poll(upTo: 30) { lines(out).count >= 1 })
        // A second burst, after the first run: a run of its own.
        try folder.shell("rm f1.md f2.md")
        #expect(poll(upTo: 30) { lines(out).count >= 2 })
        _ = command.stopCleanly()
        #expect(lines(out) == ["run 20 20", "run 2 0"])
        let log = try RunningCommand(["log", "--state", state, "--deliveries"]).waitForExit()
        let delivered = log.stdout.compactMap(SignalLine.init).filter { $0.signal == "post_save" || $0.signal == "post_delete" }
        #expect(delivered.count == 22)
        #expect(delivered.allSatisfy { ($0.object["deliveries"] as? [String: String])?["command line"] == "done" }, "\(log.stdout)")
    }

    @Test("--run-first with --restart: a server started at once, stopped before the next one starts at each save")
    func runFirstServer() throws {
        let folder = try TemporaryFolder()
        let outside = try TemporaryFolder()
        let out = outside.path + "/out"
        // The server holds a lock for as long as it runs: one started while another still runs says so.
        let server = "flock -n \"$0.lock\" sh -c 'echo up >> \"$0\"; sleep 60' \"$0\" || echo busy >> \"$0\""
        let command = try RunningCommand(["watch", folder.path, "--no-state", "--run-first", "--restart", "--", "/bin/sh", "-c", server, out])
        try #require(command.waitUntilReady(), "\(command.snapshot.stderr)")
        #expect(poll(upTo: 30) { lines(out) == ["up"] }, "\(lines(out))")
        for (index, name) in ["a.md", "b.md", "c.md"].enumerated() {
            try folder.shell("echo x > \(name)")
            #expect(poll(upTo: 30) { lines(out).count >= index + 2 }, "\(lines(out))")
        }
        _ = command.stopCleanly()
        #expect(lines(out) == ["up", "up", "up", "up"])
    }

    @Test("a stop (SIGTERM, or SIGHUP when the terminal hangs up) stops the --run-first server, and a restart replays nothing")
    func stopsTheServer() throws {
        let folder = try TemporaryFolder()
        let outside = try TemporaryFolder()
        let state = outside.path + "/state.db"
        for stop in [SIGTERM, SIGHUP] {
            let pidFile = outside.path + "/pid-\(stop)"
            let command = try RunningCommand([
                "watch", folder.path, "--state", state, "--run-first", "--restart", "--", "/bin/sh", "-c", "echo $$ > \"$0\"; exec sleep 300", pidFile,
            ])
            try #require(command.waitUntilReady(), "\(command.snapshot.stderr)")
            #expect(poll(upTo: 30) { lines(pidFile).count == 1 })
            try folder.shell("echo x > a\(stop).md")
            #expect(poll(upTo: 30) { ((try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? "").isEmpty == false })
            command.send(stop)
            let output = command.waitForExit(upTo: .seconds(20))
            #expect(output.exitStatus == 0, "\(output.stderr)")
            #expect(!output.stderr.contains { $0.contains("error") }, "\(output.stderr)")
            let pid = try #require(lines(pidFile).first.flatMap { Int32($0) })
            #expect(poll(upTo: 10) { kill(pid, 0) != 0 }, "the server outlived filesignals")
        }
        // The server's runs were stopped as filesignals stopped: nothing is left to send again.
        let again = try RunningCommand(["watch", folder.path, "--state", state, "--", "true"])
        try #require(again.waitUntilReady(), "\(again.snapshot.stderr)")
        let output = again.stopCleanly()
        #expect(!output.stderr.contains { $0.contains("had not finished") }, "\(output.stderr)")
    }

    @Test("the program runs in the folder filesignals was started from, as with entr and watchexec; SIGHUP with a config keeps it")
    func runsInTheCurrentFolder() throws {
        let project = try TemporaryFolder()
        try project.shell("mkdir src && printf '#!/bin/sh\\necho \"$FILESIGNALS_INSTANCE\" >> built\\n' > build.sh && chmod +x build.sh")
        try project.shell("printf '[model Src]\\npath = src\\n' > filesignals.ini && chmod 644 filesignals.ini")
        let command = try RunningCommand(["watch", "--no-state", "--", "./build.sh"], in: project.url)
        try #require(command.waitUntilReady(), "\(command.snapshot.stderr)")
        try project.shell("echo x > src/a.c")
        #expect(poll(upTo: 30) { lines(project.path + "/built") == ["src/a.c"] })
        command.send(SIGHUP)
        #expect(command.wait { $0.stderr.contains { $0.contains("reloaded") } }.stderr.contains { $0.contains("reloaded") })
        try project.shell("echo x > src/b.c")
        #expect(poll(upTo: 30) { lines(project.path + "/built") == ["src/a.c", "src/b.c"] }, "\(lines(project.path + "/built"))")
        _ = command.stopCleanly()
    }

    @Test("what cannot run is a usage error before anything is watched", arguments: [
        (["--shell", "true", "--", "ls"], "give a program after -- or --shell, not both"),
        (["--on", "post_sav", "--", "ls"], "unknown signal `post_sav`; did you mean `post_save`?"),
        (["--restart"], "--on, --restart, --batch, --run-first and --clear say how a program runs"),
        (["--batch", "--", "echo", "{path}"], "with --batch, `{path}` has no one value"),
        (["--json", "--clear", "--", "ls"], "--clear clears the terminal the program writes to"),
        (["--on", "", "--", "ls"], "--on names no signal"),
        (["--", "mkae"], "no program `mkae` on PATH"),
        (["--run-first", "--", "echo", "{path}"], "with --run-first, `{path}` has no value in the first run"),
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
