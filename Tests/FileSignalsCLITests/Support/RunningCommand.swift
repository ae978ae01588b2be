// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc
import TestSupport

/// The built `filesignals` binary, found next to the test bundle that SwiftPM built in the same run.
enum BuiltBinary {
    static let url: URL = {
        let testExecutable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return testExecutable.deletingLastPathComponent().appendingPathComponent("filesignals")
    }()
}

/// A folder for the state databases of the binaries the tests run, removed when the test process exits.
enum TestStateHome {
    static let path: String = {
        let folder = NSTemporaryDirectory() + "/filesignals-test-state-\(getpid())"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "/filesignals-test-state-\(getpid())") }
        return folder
    }()
}

/// A running `filesignals` process whose stdout and stderr are collected line by line on threads of their own,
/// so that a test can wait, with a deadline, for the lines it expects.
final class RunningCommand: @unchecked Sendable {
    /// What the process has printed so far.
    struct Output {
        var stdout: [String] = []
        var stderr: [String] = []
        var exitStatus: Int32?
    }

    let child: ChildProcess
    private let condition = NSCondition()
    private var output = Output()            // guarded by `condition`
    private var openStreams = 2               // guarded by `condition`

    /// Starts `executable` (by default the built `filesignals`) with `arguments` in `directory`.
    init(
        _ arguments: [String], executable: URL = BuiltBinary.url, in directory: URL? = nil,
        environment: [String: String] = [:]
    ) throws {
        // Without a config, state goes under $XDG_STATE_HOME: keep the tests' state out of the user's.
        let isolated = ["XDG_STATE_HOME": TestStateHome.path]
        child = try ChildProcess(
            [executable.path] + arguments,
            environment: ProcessInfo.processInfo.environment.merging(isolated) { $1 }.merging(environment) { $1 },
            in: directory?.path, stdin: .null, stdout: .pipe, stderr: .pipe)
        collectLines(from: child.standardOutput) { $0.stdout.append($1) }
        collectLines(from: child.standardError) { $0.stderr.append($1) }
        let waiter = Thread { [child, weak self] in
            let status = child.wait(upTo: nil)
            self?.update { $0.exitStatus = status }
        }
        waiter.start()
    }

    deinit {
        if child.exitStatus == nil { child.kill(SIGKILL) }
    }

    /// A copy of what has been printed so far.
    var snapshot: Output { condition.lock(); defer { condition.unlock() }; return output }

    /// Waits until `isDone` holds for the output, or until `timeout` has passed.
    /// - Returns: the output at that moment; check it with `#expect`.
    @discardableResult
    func wait(upTo timeout: Duration = .seconds(20), until isDone: (Output) -> Bool) -> Output {
        let deadline = Date().addingTimeInterval(Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18)
        condition.lock()
        defer { condition.unlock() }
        while !isDone(output) {
            if !condition.wait(until: deadline) { break }
        }
        return output
    }

    /// Waits until the watcher says it is ready (every folder watched, every file known).
    func waitUntilReady() -> Bool {
        wait { output in output.stderr.contains { $0.hasSuffix("; ready") } || output.exitStatus != nil }
            .stderr.contains { $0.hasSuffix("; ready") }
    }

    /// Waits until the process has exited and both its streams are read to the end.
    func waitForExit(upTo timeout: Duration = .seconds(20)) -> Output {
        wait(upTo: timeout) { $0.exitStatus != nil && self.openStreams == 0 }
    }

    /// Waits like ``wait(upTo:until:)``, but sleeping as a task between looks: for long waits, which must
    /// not hold one of the few threads (two on a 2-core machine) that every async test runs on.
    ///
    /// Only the time this task was awake to look counts against `timeout` (at most 100 ms per look): tests of
    /// other suites that block those threads can keep it from running for a minute, and that must not use up
    /// its wait.
    @discardableResult
    func waitAsync(upTo timeout: Duration = .seconds(20), until isDone: (Output) -> Bool) async -> Output {
        _ = await pollAsync(upTo: Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18, every: .milliseconds(50)) {
            isDone(snapshot)
        }
        return snapshot
    }

    /// Waits for the end like ``waitForExit(upTo:)``, sleeping as a task between looks (a whole `swift build`).
    func waitForExitAsync(upTo timeout: Duration) async -> Output {
        await waitAsync(upTo: timeout) { _ in self.isFinished }
    }

    /// Whether the process has exited and both its streams are read to the end.
    private var isFinished: Bool {
        condition.lock()
        defer { condition.unlock() }
        return output.exitStatus != nil && openStreams == 0
    }

    /// Sends `signal` to the process.
    func send(_ signal: Int32) { child.kill(signal) }

    private func update(_ change: (inout Output) -> Void) {
        condition.lock()
        change(&output)
        condition.broadcast()
        condition.unlock()
    }

    private func collectLines(from descriptor: Int32, append: @escaping @Sendable (inout Output, String) -> Void) {
        // The thread keeps the child (and so the descriptor) alive, not the command: a command a test drops
        // is killed by its deinit, and the thread then reads the end of the pipe.
        let thread = Thread { [child, weak self] in
            defer { withExtendedLifetime(child) {} }
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                pending += buffer[0..<count]
                var lines: [String] = []
                var start = pending.startIndex
                while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                    lines.append(String(decoding: pending[start..<newline], as: UTF8.self))
                    start = newline + 1
                }
                pending.removeSubrange(..<start)
                if !lines.isEmpty { self?.update { output in lines.forEach { append(&output, $0) } } }
            }
            // A last line without a newline (`ls -0` output) is still output.
            let last = pending.isEmpty ? nil : String(decoding: pending, as: UTF8.self)
            guard let self else { return }
            update { output in
                if let last { append(&output, last) }
                self.openStreams -= 1
            }
        }
        thread.start()
    }
}
