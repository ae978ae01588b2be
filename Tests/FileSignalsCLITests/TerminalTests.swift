// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc
import Testing
import TestSupport

/// The log in a real terminal (tmux): coloured on a TTY, plain with NO_COLOR or when piped.
@Suite("Terminal output", .serialized, .ownThreads(timeLimit: .seconds(60)))
struct TerminalTests {
    /// Runs a tmux command to its end (30 s at most). Its output goes nowhere: the tmux server a first
    /// command starts lives on, and must not hold our pipes, or we would wait for their end.
    private static func tmux(_ tmux: URL, _ arguments: [String]) throws {
        let child = try ChildProcess([tmux.path] + arguments, stdout: .null, stderr: .null)
        if child.wait(upTo: .seconds(30)) == nil { child.kill(SIGKILL) }
    }

    /// Runs `filesignals watch` in a detached tmux session and returns the screen, escapes included, once
    /// a post_save line is on it.
    private func screen(noColor: Bool) throws -> String {
        let tmux = try #require(CommandLookup.find("tmux"), "tmux is needed for the terminal test")
        let folder = try TemporaryFolder()
        let session = "filesignals-test-\(getpid())-\(noColor)"
        let environment = noColor ? "NO_COLOR=1" : "NO_COLOR="
        let watch = "env \(environment) TERM=xterm-256color XDG_STATE_HOME='\(TestStateHome.path)' '\(BuiltBinary.url.path)' watch '\(folder.path)'"
        try Self.tmux(tmux, ["new-session", "-d", "-s", session, "-x", "160", "-y", "20", watch])
        defer { try? Self.tmux(tmux, ["kill-session", "-t", session]) }
        func capture() throws -> String {
            try RunningCommand(["capture-pane", "-p", "-e", "-t", session], executable: tmux).waitForExit().stdout.joined(separator: "\n")
        }
        func waitFor(_ text: String) throws -> Bool { try poll(upTo: 20) { try capture().contains(text) } }
        try #require(try waitFor("ready"), "\((try? capture()) ?? "")")
        try folder.shell("echo hi > a.md")
        try #require(try waitFor("post_save"), "\((try? capture()) ?? "")")
        return try capture()
    }

    @Test("on a terminal, signal lines are coloured")
    func colours() throws {
        let text = try screen(noColor: false)
        #expect(text.contains("\u{1B}[32mpost_save File a.md (created)"), "\(text.debugDescription)")
    }

    @Test("with NO_COLOR set, nothing is coloured")
    func noColor() throws {
        let text = try screen(noColor: true)
        #expect(text.contains("post_save File a.md (created)"))
        #expect(!text.contains("\u{1B}[3"), "\(text.debugDescription)")
    }

    @Test("on a terminal, a progress line counts files during the first walk, and the ready line replaces it")
    func progress() throws {
        let tmux = try #require(CommandLookup.find("tmux"))
        let folder = try TemporaryFolder()
        try folder.shell("python3 -c \"import os\nfor d in range(30):\n    os.mkdir(f'd{d}')\n    [open(f'd{d}/f{i}.md','w').close() for i in range(1000)]\"")
        let log = try TemporaryFolder()
        let session = "filesignals-progress-\(getpid())"
        // The program waits for Enter, so that everything it writes is captured from the start.
        let watch = "read go; exec env XDG_STATE_HOME='\(TestStateHome.path)' '\(BuiltBinary.url.path)' watch --no-state '\(folder.path)'"
        try Self.tmux(tmux, ["new-session", "-d", "-s", session, "-x", "160", "-y", "20", watch])
        defer { try? Self.tmux(tmux, ["kill-session", "-t", session]) }
        try Self.tmux(tmux, ["pipe-pane", "-o", "-t", session, "cat >> '\(log.path)/screen.raw'"])
        try Self.tmux(tmux, ["send-keys", "-t", session, "Enter"])
        var raw = ""
        _ = poll(upTo: 30) {
            raw = (try? String(contentsOfFile: log.path + "/screen.raw", encoding: .utf8)) ?? ""
            return raw.contains("ready")
        }
        #expect(raw.contains("files found so far"), "\(raw.debugDescription)")
        #expect(raw.contains("\r\u{1B}[Kfilesignals: watching 31 folders, 30000 files; ready"), "\(raw.suffix(300).debugDescription)")
    }

    @Test("piped, nothing is coloured")
    func piped() throws {
        let folder = try TemporaryFolder()
        let command = try RunningCommand(["watch", folder.path, "--no-state"], environment: ["NO_COLOR": "", "TERM": "xterm-256color"])
        try #require(command.waitUntilReady())
        try folder.shell("echo hi > a.md")
        command.wait { $0.stderr.contains { $0.contains("post_save") } }
        command.send(SIGTERM)
        let output = command.waitForExit()
        #expect(output.stderr.contains { $0.contains("post_save") })
        #expect(!output.stderr.joined().contains("\u{1B}"))
        #expect(!output.stderr.contains { $0.contains("found so far") })
    }

    @Test("a program given after -- writes straight to the terminal, and --clear clears it before each run")
    func programOnTheTerminal() throws {
        let tmux = try #require(CommandLookup.find("tmux"))
        let folder = try TemporaryFolder()
        let session = "filesignals-clear-\(getpid())"
        let program = "echo run-$FILESIGNALS_INSTANCE; test -t 1 && echo stdout-is-a-terminal"
        let watch = "env XDG_STATE_HOME='\(TestStateHome.path)' '\(BuiltBinary.url.path)' watch --no-state --clear '\(folder.path)' --shell '\(program)'"
        try Self.tmux(tmux, ["new-session", "-d", "-s", session, "-x", "160", "-y", "20", watch])
        defer { try? Self.tmux(tmux, ["kill-session", "-t", session]) }
        func capture() throws -> String {
            try RunningCommand(["capture-pane", "-p", "-t", session], executable: tmux).waitForExit().stdout.joined(separator: "\n")
        }
        try #require(try poll(upTo: 20) { try capture().contains("ready") }, "\((try? capture()) ?? "")")
        try folder.shell("echo a > a.md")
        #expect(try poll(upTo: 20) { try capture().contains("run-a.md") }, "\((try? capture()) ?? "")")
        #expect(try capture().contains("stdout-is-a-terminal"))
        try folder.shell("echo b > b.md")
        #expect(try poll(upTo: 20) { try capture().contains("run-b.md") }, "\((try? capture()) ?? "")")
        // The second run cleared the screen first: the first run's output and the ready line are gone.
        let screen = try capture()
        #expect(!screen.contains("run-a.md") && !screen.contains("ready"), "\(screen)")
    }
}
