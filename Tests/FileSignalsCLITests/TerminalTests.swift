// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc
import Testing
import TestSupport

/// The log in a real terminal (tmux): coloured on a TTY, plain with NO_COLOR or when piped.
@Suite("Terminal output", .serialized, .timeLimit(.minutes(1)))
struct TerminalTests {
    /// Runs `filesignals watch` in a detached tmux session and returns the screen, escapes included, once
    /// a post_save line is on it.
    private func screen(noColor: Bool) throws -> String {
        let tmux = try #require(CommandLookup.find("tmux"), "tmux is needed for the terminal test")
        let folder = try TemporaryFolder()
        let session = "filesignals-test-\(getpid())-\(noColor)"
        let environment = noColor ? "NO_COLOR=1" : "NO_COLOR="
        let watch = "env \(environment) TERM=xterm-256color XDG_STATE_HOME='\(TestStateHome.path)' '\(BuiltBinary.url.path)' watch '\(folder.path)'"
        func run(_ arguments: [String]) throws -> [String] {
            try RunningCommand(arguments, executable: tmux).waitForExit().stdout
        }
        // The tmux server this starts lives on: it must not hold our pipes, or we would wait for their end.
        let start = Process()
        start.executableURL = tmux
        start.arguments = ["new-session", "-d", "-s", session, "-x", "160", "-y", "20", watch]
        start.standardOutput = FileHandle.nullDevice
        start.standardError = FileHandle.nullDevice
        try start.run()
        start.waitUntilExit()
        defer { _ = try? run(["kill-session", "-t", session]) }
        func capture() throws -> String { try run(["capture-pane", "-p", "-e", "-t", session]).joined(separator: "\n") }
        func waitFor(_ text: String) throws -> Bool {
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                if try capture().contains(text) { return true }
                usleep(20_000)   // polling another process's screen, with a deadline
            }
            return false
        }
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
        func tmuxRun(_ arguments: [String]) throws {
            let process = Process()
            process.executableURL = tmux
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
        }
        try tmuxRun(["new-session", "-d", "-s", session, "-x", "160", "-y", "20", watch])
        defer { try? tmuxRun(["kill-session", "-t", session]) }
        try tmuxRun(["pipe-pane", "-o", "-t", session, "cat >> '\(log.path)/screen.raw'"])
        try tmuxRun(["send-keys", "-t", session, "Enter"])
        let deadline = Date().addingTimeInterval(30)
        var raw = ""
        while Date() < deadline {
            raw = (try? String(contentsOfFile: log.path + "/screen.raw", encoding: .utf8)) ?? ""
            if raw.contains("ready") { break }
            usleep(20_000)   // polling a file tmux writes, with a deadline
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
}
