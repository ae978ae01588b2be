// SPDX-License-Identifier: GPL-2.0-or-later
import CProcessSupport
import FileSignals
import Foundation
import Glibc
import Synchronization

/// A program a test runs, started like FileSignals starts its receivers (``ProcessSpawn``): its own process
/// group, and no descriptor but the three it is given.
///
/// Foundation's `Process` is not used in the tests: it learns that a child has exited when a socket it
/// lets the child inherit is closed, so a child that leaves a daemon behind (`tmux new-session -d` starts
/// the tmux server) never "exits", and its `waitUntilExit()` spins a CPU forever. Here the exit is learnt
/// from a pidfd, and every wait has a deadline.
public final class ChildProcess: @unchecked Sendable {
    /// Where one of the child's standard streams goes.
    public enum Stream {
        /// `/dev/null`.
        case null
        /// A new pipe; this side's end is in ``standardInput``, ``standardOutput`` or ``standardError``.
        case pipe
        /// The test process's own stream.
        case inherit
        /// A descriptor the caller owns (one end of a pipe between two children, say).
        case descriptor(Int32)
    }

    public struct StartFailed: Error { public let errno: Int32 }

    /// The child's pid, which is also its process group.
    public let pid: pid_t
    /// This side of the pipes asked for with ``Stream/pipe``, or -1. Closed when the value goes.
    public var standardInput: Int32 { inputEnd.withLock { $0 } }
    public let standardOutput: Int32
    public let standardError: Int32
    private let inputEnd: Mutex<Int32>
    private let processDescriptor: Int32
    /// The exit code, or the signal's number when a signal ended it (as Foundation reports it).
    private let status = Mutex<Int32?>(nil)

    /// Starts `arguments[0]` (a path) with `environment` (this process's when nil) in `directory`.
    public init(
        _ arguments: [String], environment: [String: String]? = nil, in directory: String? = nil,
        stdin: Stream = .null, stdout: Stream = .inherit, stderr: Stream = .inherit
    ) throws {
        var parentEnds: [Int32] = []
        var childEnds: [Int32] = []
        func descriptor(for stream: Stream, standard: Int32, childReads: Bool) throws -> (child: Int32, parent: Int32) {
            switch stream {
            case .inherit: return (standard, -1)
            case .descriptor(let given): return (given, -1)
            case .null:
                let null = open("/dev/null", (childReads ? O_RDONLY : O_WRONLY) | O_CLOEXEC)
                guard null >= 0 else { throw StartFailed(errno: errno) }
                childEnds.append(null)
                return (null, -1)
            case .pipe:
                var ends: [Int32] = [-1, -1]
                guard filesignals_pipe_cloexec(&ends) == 0 else { throw StartFailed(errno: errno) }
                let (child, parent) = childReads ? (ends[0], ends[1]) : (ends[1], ends[0])
                childEnds.append(child)
                parentEnds.append(parent)
                return (child, parent)
            }
        }
        defer { childEnds.forEach { close($0) } }
        do {
            let input = try descriptor(for: stdin, standard: 0, childReads: true)
            let output = try descriptor(for: stdout, standard: 1, childReads: false)
            let errors = try descriptor(for: stderr, standard: 2, childReads: false)
            let environment = environment ?? ProcessInfo.processInfo.environment
            guard let pid = ProcessSpawn.start(
                arguments: arguments.map { Array($0.utf8) },
                environment: environment.map { Array("\($0.key)=\($0.value)".utf8) },
                workingFolder: directory, stdin: input.child, stdout: output.child, stderr: errors.child)
            else { throw StartFailed(errno: errno) }
            self.pid = pid
            inputEnd = Mutex(input.parent)
            standardOutput = output.parent
            standardError = errors.parent
            processDescriptor = filesignals_pidfd_open(pid)
        } catch {
            parentEnds.forEach { close($0) }
            throw error
        }
    }

    deinit {
        if exitStatus == nil {
            Glibc.kill(pid, SIGKILL)
            _ = wait(upTo: .seconds(10))
        }
        closeStandardInput()
        for descriptor in [standardOutput, standardError, processDescriptor] where descriptor >= 0 {
            close(descriptor)
        }
    }

    /// The exit status once the child has exited and been reaped, without waiting.
    public var exitStatus: Int32? { wait(upTo: .zero) }

    /// Waits up to `timeout` (nil: without end) for the child to exit, and reaps it.
    /// - Returns: the exit code (or the number of the signal that ended it); nil if it is still running.
    @discardableResult
    public func wait(upTo timeout: Duration?) -> Int32? {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        while true {
            if let known = status.withLock({ $0 }) { return known }
            var entry = pollfd(fd: processDescriptor, events: Int16(POLLIN), revents: 0)
            let left = deadline.map { max(.zero, $0 - .now) }
            let milliseconds = left.map { Int32(clamping: $0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000 + 1) } ?? -1
            let ready = poll(&entry, 1, left == .zero ? 0 : milliseconds)
            if ready < 0 && errno == EINTR { continue }
            if ready > 0 {
                return status.withLock { known in
                    if known == nil {
                        var raw: Int32 = 0
                        let reaped = waitpid(pid, &raw, WNOHANG)
                        if reaped == pid { known = raw & 0x7f == 0 ? (raw >> 8) & 0xff : raw & 0x7f }
                        if reaped < 0 && errno == ECHILD { known = -1 }   // reaped elsewhere: gone, status unknown
                    }
                    return known
                }
            }
            if let deadline, ContinuousClock.now >= deadline { return nil }
        }
    }

    /// Sends `signal` to the child.
    public func kill(_ signal: Int32) { Glibc.kill(pid, signal) }

    /// Sends `signal` to the child's whole process group.
    public func killGroup(_ signal: Int32) { Glibc.kill(-pid, signal) }

    /// Closes this side of the child's stdin pipe, so that it reads the end of its input.
    public func closeStandardInput() {
        inputEnd.withLock { descriptor in
            if descriptor >= 0 { close(descriptor) }
            descriptor = -1
        }
    }
}
