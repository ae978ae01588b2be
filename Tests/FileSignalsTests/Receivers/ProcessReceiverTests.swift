// SPDX-License-Identifier: GPL-2.0-or-later
@testable import FileSignals
import Foundation
import Glibc
import Testing
import TestSupport

/// Shell and exec receivers run as real processes: what they get, and how every way of ending is handled.
@Suite("Receivers as processes", .ownThreads(timeLimit: .seconds(180)))
struct ProcessReceiverTests {
    @Test("a shell receiver gets the spec's environment, its own env, and the signal's JSON line on stdin")
    func environmentAndStdin() async throws {
        let harness = try DispatcherHarness([
            receiver("record", command: "env | grep '^FILESIGNALS_\\|^GREETING=' | sort > env.txt; cat > stdin.txt", environment: ["GREETING": "hello world"]),
        ])
        let signal = try harness.signal("a.md", seq: 7)
        await harness.dispatchAndWait([signal])
        #expect(harness.results.map(\.status) == [.exited])
        #expect(harness.read("stdin.txt") == String(decoding: signal.jsonLine(), as: UTF8.self))
        let root = harness.folder.path
        let lines = harness.read("env.txt").split(separator: "\n")
        // Each run is marked, so that what it starts can be found and stopped with it.
        #expect(lines.filter { $0.hasPrefix("FILESIGNALS_RUN_ID=") }.count == 1, "\(lines)")
        #expect(lines.filter { !$0.hasPrefix("FILESIGNALS_RUN_ID=") } == [
            "FILESIGNALS_CREATED=true", "FILESIGNALS_INSTANCE=a.md", "FILESIGNALS_PATH=\(root)/a.md", "FILESIGNALS_ROOT=\(root)",
            "FILESIGNALS_SENDER=Note", "FILESIGNALS_SEQ=7", "FILESIGNALS_SIGNAL=post_save", "FILESIGNALS_SOURCE=live",
            "GREETING=hello world",
        ])
    }

    @Test("a receiver inherits only stdin, stdout and stderr, whatever the embedding program left open")
    func onlyStandardDescriptors() async throws {
        // A descriptor without close-on-exec, as Foundation's Process and many libraries leave them.
        let leaked = open("/dev/null", O_RDONLY)
        defer { close(leaked) }
        try #require(leaked > 2)
        let harness = try DispatcherHarness([receiver("fds", exec: ["python3", "-c", "import os; fds = ' '.join(sorted(os.listdir('/proc/self/fd'), key=int)); open('fds.txt', 'w').write(fds)"])])
        await harness.dispatchAndWait([try harness.signal("a.md")])
        // 3 is the descriptor python's listdir opened on /proc/self/fd itself.
        #expect(harness.read("fds.txt") == "0 1 2 3")
    }

    static let hostileNames = HostileNames.all

    @Test("exec placeholders: each word stays one argument with the file name's exact bytes, and no shell runs it",
          arguments: hostileNames)
    func execPlaceholders(_ name: [UInt8]) async throws {
        // The program writes its arguments, NUL-separated, to args.bin.
        let script = "import sys, os; open('args.bin', 'wb').write(b'\\0'.join(os.fsencode(a) for a in sys.argv[1:]))"
        let harness = try DispatcherHarness([receiver("args", exec: ["python3", "-c", script, "{instance}", "pre-{instance}-post", "{path}"])])
        let signal = try harness.signal(bytes: name)
        await harness.dispatchAndWait([signal])
        #expect(harness.results.map(\.status) == [.exited], "\(harness.reports.map { String(decoding: $0.standardError, as: UTF8.self) })")
        let written = try [UInt8](Data(contentsOf: URL(fileURLWithPath: harness.folder.path + "/args.bin")))
        let expected = [name, Array("pre-".utf8) + name + Array("-post".utf8), Array(harness.folder.path.utf8) + [UInt8(ascii: "/")] + name]
        #expect(written.split(separator: 0, omittingEmptySubsequences: false).map(Array.init) == expected)
        #expect(access(harness.folder.path + "/pwned", F_OK) != 0, "a file name was run as shell code")
    }

    @Test("a shell receiver gets hostile names only through the environment, never as shell text", arguments: hostileNames)
    func shellEnvironment(_ name: [UInt8]) async throws {
        let harness = try DispatcherHarness([receiver("name", command: "printf '%s' \"$FILESIGNALS_INSTANCE\" > name.bin")])
        await harness.dispatchAndWait([try harness.signal(bytes: name)])
        let written = try [UInt8](Data(contentsOf: URL(fileURLWithPath: harness.folder.path + "/name.bin")))
        #expect(written == name)
        #expect(access(harness.folder.path + "/pwned", F_OK) != 0, "a file name was run as shell code")
    }

    @Test("a receiver that exits 3 is a failure with code 3")
    func exitCode() async throws {
        let harness = try DispatcherHarness([receiver("three", command: "exit 3")])
        await harness.dispatchAndWait([try harness.signal("a.md")])
        #expect(harness.results.map(\.status) == [.exited])
        #expect(harness.results.first?.code == 3)
        #expect(harness.results.first?.isFailure == true)
    }

    @Test("a receiver killed by SIGSEGV is reported as signaled 11")
    func crash() async throws {
        let harness = try DispatcherHarness([receiver("crash", command: "kill -SEGV $$")])
        await harness.dispatchAndWait([try harness.signal("a.md")])
        #expect(harness.results.map(\.status) == [.signaled])
        #expect(harness.results.first?.code == SIGSEGV)
    }

    @Test("a receiver that ignores SIGTERM is killed at its timeout, with its children")
    func timeout() async throws {
        let harness = try DispatcherHarness([
            receiver("stubborn", command: "echo $$ > pid; trap '' TERM; sleep 30 & echo $! > child; while :; do sleep 0.05; done", timeout: .milliseconds(300)),
        ])
        let started = ContinuousClock.now
        await harness.dispatchAndWait([try harness.signal("a.md")])
        #expect(harness.results.map(\.status) == [.timeout])
        // 90 s, not 0.6: a loaded machine is slow, but a receiver that was never killed would run on forever.
        #expect(ContinuousClock.now - started < .seconds(90), "SIGKILL came after the grace period")
        for file in ["pid", "child"] {
            let pid = pid_t(harness.read(file).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            #expect(pid > 0)
            #expect(await harness.waitFor { processIsGone(pid) }, "\(file) \(pid) survived")
        }
    }

    @Test("a background job a receiver leaves behind (sleep 1000 &) is gone when the run ends")
    func backgroundJob() async throws {
        let harness = try DispatcherHarness([receiver("leaver", command: "sleep 1000 & echo $! > child; exit 0")])
        await harness.dispatchAndWait([try harness.signal("a.md")])
        #expect(harness.results.map(\.status) == [.exited])
        let pid = pid_t(harness.read("child").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(pid > 0)
        #expect(await harness.waitFor { processIsGone(pid) }, "sleep \(pid) survived its receiver")
    }

    @Test("a receiver that never reads its stdin, even a large one, is not an error")
    func unreadStdin() async throws {
        let harness = try DispatcherHarness([receiver("deaf", command: "exit 0")])
        var signal = try harness.signal("a.md")
        signal.arguments = ["big": String(repeating: "x", count: 300_000)]   // more than a pipe holds
        await harness.dispatchAndWait([signal])
        #expect(harness.results.map(\.status) == [.exited])
        #expect(harness.results.first?.code == 0)
    }

    @Test("a receiver that writes 100 MB to stdout is read to the end, with only the first bytes kept")
    func floodedOutput() async throws {
        let harness = try DispatcherHarness([receiver("flood", command: "head -c 100000000 /dev/zero")])
        await harness.dispatchAndWait([try harness.signal("a.md")])
        #expect(harness.results.map(\.status) == [.exited])
        let report = try #require(harness.reports.first)
        #expect(report.standardOutput.count == 64 * 1024)
        #expect(report.standardOutput.count + report.droppedBytes == 100_000_000)
    }

    @Test("a program that does not exist is an error, and the next receiver still runs")
    func missingProgram() async throws {
        let harness = try DispatcherHarness([
            receiver("missing", exec: ["/nonexistent/program"]),
            receiver("next", command: "touch ran"),
        ])
        await harness.dispatchAndWait([try harness.signal("a.md")])
        #expect(harness.results.map(\.status) == [.error, .exited])
        #expect(access(harness.folder.path + "/ran", F_OK) == 0)
    }
}
