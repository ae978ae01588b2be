// SPDX-License-Identifier: GPL-2.0-or-later
import CProcessSupport
import Foundation
import Glibc
import Synchronization

/// Runs one receiver process to its end, on a thread of its own, and leaves nothing behind.
///
/// The child gets a process group of its own (`posix_spawn` with `POSIX_SPAWN_SETPGROUP`), default signal
/// dispositions (the bridge ignores SIGPIPE; its children must not), the signal's JSON on stdin, and pipes
/// for stdout and stderr. One thread waits in `poll()` on the pipes, a pidfd (readable when the child
/// exits) and an eventfd (to stop the run early). On timeout or stop, the whole group gets SIGTERM, then
/// SIGKILL after the grace period. When the child has exited, the group gets SIGKILL, so that a background
/// job it started (`sleep 1000 &`) does not outlive it, and the child is reaped: no zombie.
package enum ProcessRunner {
    /// What to run.
    package struct Request: Sendable {
        /// `argv`, as bytes: a file name that is not UTF-8 reaches the program exactly.
        package var arguments: [[UInt8]]
        /// The whole environment, `NAME=VALUE` each.
        package var environment: [[UInt8]]
        package var workingFolder: String
        /// Written to the child's stdin, which is then closed. A child that never reads it is not an error.
        package var input: [UInt8]
        /// Nil for no limit.
        package var timeout: Duration?
        /// Between SIGTERM and SIGKILL.
        package var grace: Duration = .seconds(2)
        /// Bytes of stdout and of stderr kept for the log; the rest is read and counted, not kept.
        package var outputLimit = 64 * 1024
        /// The child writes to the bridge's own stdout and stderr (a terminal, for a program given on the
        /// command line) instead of pipes read for the log.
        package var passesOutputThrough = false

        package init(arguments: [[UInt8]], environment: [[UInt8]], workingFolder: String, input: [UInt8], timeout: Duration?) {
            self.arguments = arguments
            self.environment = environment
            self.workingFolder = workingFolder
            self.input = input
            self.timeout = timeout
        }
    }

    /// How a run ended.
    package enum Status: Sendable, Hashable {
        case exited(Int32)
        case signaled(Int32)
        /// Stopped at its timeout (after SIGTERM, and SIGKILL if it had to).
        case timedOut
        /// Stopped by the bridge (`on_busy = restart`, or shutdown); the signal that ended it (SIGTERM, or SIGKILL
        /// after the grace), nil when it exited by itself meanwhile.
        case stopped(signal: Int32?)
        /// Could not be started; the `errno`.
        case failedToStart(Int32)
    }

    /// What a run gave.
    package struct Outcome: Sendable {
        package var status: Status
        /// The first `outputLimit` bytes of stdout and stderr.
        package var standardOutput: [UInt8]
        package var standardError: [UInt8]
        /// Bytes read but not kept, past the limit.
        package var droppedBytes: Int
        package var duration: Duration
    }

    /// Stops a run early: the group gets SIGTERM, then SIGKILL after the grace period.
    ///
    /// A handle holds no descriptor until its run starts, and lets it go when the run ends: a dispatcher
    /// makes one for each signal waiting its turn, and thousands waiting (a backlog replayed after a crash)
    /// must not hold thousands of descriptors.
    package final class StopHandle: Sendable {
        private let state = Mutex<(isStopped: Bool, wakeUp: WakeUpDescriptor?, onStop: [@Sendable () -> Void])>((false, nil, []))

        package init() {}

        /// Asks the run to stop, now or as soon as it starts.
        package func stop() {
            let calls = state.withLock { state in
                state.isStopped = true
                state.wakeUp?.wake()
                defer { state.onStop.removeAll() }
                return state.onStop
            }
            calls.forEach { $0() }
        }

        /// Calls `body` when the run is asked to stop (at once if it was already): how a Swift receiver is stopped.
        func whenStopped(_ body: @escaping @Sendable () -> Void) {
            let isStopped = state.withLock { state in
                if !state.isStopped { state.onStop.append(body) }
                return state.isStopped
            }
            if isStopped { body() }
        }

        /// The eventfd the run polls, readable once ``stop()`` has been called; made when the run starts.
        func beginRun() -> WakeUpDescriptor {
            state.withLock { state in
                let wakeUp = state.wakeUp ?? WakeUpDescriptor()
                state.wakeUp = wakeUp
                if state.isStopped { wakeUp.wake() }
                return wakeUp
            }
        }

        /// Lets the run's eventfd go (it is closed once the run lets it go too).
        func endRun() { state.withLock { $0.wakeUp = nil } }
    }

    /// Runs `request` and returns when the child and its group are gone.
    package static func run(_ request: Request, stop: StopHandle = StopHandle()) async -> Outcome {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                filesignals_name_thread("fs-receiver")
                // Writing stdin to a child that has exited raises SIGPIPE on this thread; blocked here, it
                // becomes an EPIPE from write, whatever the embedding program does with SIGPIPE.
                var pipeSignal = sigset_t()
                sigemptyset(&pipeSignal)
                sigaddset(&pipeSignal, SIGPIPE)
                pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
                continuation.resume(returning: runBlocking(request, stop: stop))
            }
            thread.start()
        }
    }

    private static func runBlocking(_ request: Request, stop: StopHandle) -> Outcome {
        let started = ContinuousClock.now
        var failed: Outcome { Outcome(status: .failedToStart(errno), standardOutput: [], standardError: [], droppedBytes: 0, duration: .zero) }
        var input: [Int32] = [-1, -1], output: [Int32] = [-1, -1], errors: [Int32] = [-1, -1]
        let passesThrough = request.passesOutputThrough
        guard filesignals_pipe_cloexec(&input) == 0,
              passesThrough || (filesignals_pipe_cloexec(&output) == 0 && filesignals_pipe_cloexec(&errors) == 0) else {
            let outcome = failed
            for fd in input + output + errors where fd >= 0 { close(fd) }
            return outcome
        }
        let run = StrayProcesses.runStarting()
        var group: pid_t?
        defer { StrayProcesses.runEnded(run, group: group) }
        let marked = request.environment + [Array("\(StrayProcesses.variable)=\(run)".utf8)]
        guard let pid = ProcessSpawn.start(
            arguments: request.arguments, environment: marked, workingFolder: request.workingFolder,
            stdin: input[0], stdout: passesThrough ? STDOUT_FILENO : output[1], stderr: passesThrough ? STDERR_FILENO : errors[1])
        else {
            let outcome = failed
            for fd in input + output + errors where fd >= 0 { close(fd) }
            return outcome
        }
        group = pid
        close(input[0])
        if !passesThrough { close(output[1]); close(errors[1]) }
        var collector = OutputCollector(limit: request.outputLimit)
        let status = supervise(
            pid: pid, request: request, stop: stop, stdin: input[1], stdout: output[0], stderr: errors[0],
            collector: &collector)
        return Outcome(
            status: status, standardOutput: collector.kept[0], standardError: collector.kept[1],
            droppedBytes: collector.dropped, duration: ContinuousClock.now - started)
    }

    /// Feeds stdin, collects stdout and stderr, enforces the timeout, and reaps the child.
    private static func supervise(
        pid: pid_t, request: Request, stop: StopHandle, stdin: Int32, stdout: Int32, stderr: Int32,
        collector: inout OutputCollector
    ) -> Status {
        let processDescriptor = filesignals_pidfd_open(pid)
        defer { if processDescriptor >= 0 { close(processDescriptor) } }
        let stopRequest = stop.beginRun()
        defer { stop.endRun() }
        var stdinOpen = true
        _ = fcntl(stdin, F_SETFL, fcntl(stdin, F_GETFL) | O_NONBLOCK)
        var written = 0
        if request.input.isEmpty { close(stdin); stdinOpen = false }
        var open = [stdout, stderr].filter { $0 >= 0 }
        let started = ContinuousClock.now
        var terminatedAt: ContinuousClock.Instant?
        var killed = false
        var reason: Status?
        var exitStatus: Int32?

        while exitStatus == nil || !open.isEmpty {
            // After the child has exited, its pipes get a short while to drain: something outside its group
            // (a program that started its own session) may still hold them.
            if let exitTime = terminatedAt, exitStatus != nil, ContinuousClock.now - exitTime > .seconds(1) { break }
            var fds: [pollfd] = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if stdinOpen { fds.append(pollfd(fd: stdin, events: Int16(POLLOUT), revents: 0)) }
            if exitStatus == nil {
                fds.append(pollfd(fd: processDescriptor, events: Int16(POLLIN), revents: 0))
                // Once asked to stop, the eventfd stays readable: it is not polled again.
                if reason == nil { fds.append(pollfd(fd: stopRequest.descriptor, events: Int16(POLLIN), revents: 0)) }
            }
            var wait = nextWakeUp(started: started, timeout: request.timeout, terminatedAt: terminatedAt, grace: request.grace, exited: exitStatus != nil)
            // Without a pidfd (out of descriptors when the child started), its end is looked for every 20 ms.
            if processDescriptor < 0 && exitStatus == nil { wait = wait < 0 ? 20 : min(wait, 20) }
            let ready = poll(&fds, nfds_t(fds.count), wait)
            if ready < 0 && errno != EINTR { break }
            if processDescriptor < 0, exitStatus == nil, let status = reapIfExited(pid) {
                exitStatus = status
                terminatedAt = terminatedAt ?? .now
                kill(-pid, SIGKILL)
            }

            for entry in fds where entry.revents != 0 {
                if entry.fd == stdout || entry.fd == stderr {
                    if !collector.read(entry.fd, stream: entry.fd == stdout ? 0 : 1) { open.removeAll { $0 == entry.fd }; close(entry.fd) }
                } else if entry.fd == stdin {
                    let count = request.input.withUnsafeBytes { write(stdin, $0.baseAddress! + written, $0.count - written) }
                    if count > 0 { written += count }
                    // Done, or the child closed its stdin without reading (EPIPE): either way, stdin is finished.
                    if written >= request.input.count || (count < 0 && errno != EAGAIN && errno != EINTR) {
                        close(stdin)
                        stdinOpen = false
                    }
                } else if entry.fd == processDescriptor {
                    exitStatus = reap(pid)
                    terminatedAt = terminatedAt ?? .now
                    // Whatever the child left running in its group goes with it.
                    kill(-pid, SIGKILL)
                } else if entry.fd == stopRequest.descriptor, reason == nil {
                    reason = .stopped(signal: nil)
                    terminatedAt = .now
                    kill(-pid, SIGTERM)
                }
            }
            guard exitStatus == nil else { continue }
            let now = ContinuousClock.now
            if reason == nil, let timeout = request.timeout, now - started >= timeout {
                reason = .timedOut
                terminatedAt = now
                kill(-pid, SIGTERM)
            }
            if let terminatedAt, !killed, now - terminatedAt >= request.grace {
                killed = true
                kill(-pid, SIGKILL)
            }
        }
        if stdinOpen { close(stdin) }
        for fd in open { close(fd) }
        if exitStatus == nil {
            kill(-pid, SIGKILL)
            exitStatus = reap(pid)
        }
        let raw = exitStatus ?? 0
        if case .stopped = reason { return .stopped(signal: raw & 0x7f == 0 ? nil : raw & 0x7f) }
        if let reason { return reason }
        if raw & 0x7f == 0 { return .exited((raw >> 8) & 0xff) }
        return .signaled(raw & 0x7f)
    }

    /// Milliseconds until the next deadline the loop must act on, or -1 for none.
    private static func nextWakeUp(
        started: ContinuousClock.Instant, timeout: Duration?, terminatedAt: ContinuousClock.Instant?, grace: Duration, exited: Bool
    ) -> Int32 {
        var deadlines: [ContinuousClock.Instant] = []
        if exited, let terminatedAt { deadlines.append(terminatedAt + .seconds(1)) }
        if !exited {
            if terminatedAt == nil, let timeout { deadlines.append(started + timeout) }
            if let terminatedAt { deadlines.append(terminatedAt + grace) }
        }
        guard let next = deadlines.min() else { return -1 }
        let left = next - .now
        let milliseconds = left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1
        return Int32(clamping: max(0, milliseconds))
    }

    /// The child's raw wait status if it has exited, without waiting.
    private static func reapIfExited(_ pid: pid_t) -> Int32? {
        var status: Int32 = 0
        var result: pid_t
        repeat { result = waitpid(pid, &status, WNOHANG) } while result < 0 && errno == EINTR
        // ECHILD: reaped already (by the sweep of orphans), so gone.
        if result < 0 && errno == ECHILD { return 0 }
        return result == pid ? status : nil
    }

    /// Waits for the child and returns its raw wait status.
    private static func reap(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status
    }
}

/// Keeps the first bytes of each stream and counts the rest.
private struct OutputCollector {
    let limit: Int
    var kept: [[UInt8]] = [[], []]
    var dropped = 0
    private var buffer = [UInt8](repeating: 0, count: 65536)

    init(limit: Int) { self.limit = limit }

    /// Reads what is there; false at end of file.
    mutating func read(_ descriptor: Int32, stream: Int) -> Bool {
        let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        if count < 0 { return errno == EINTR || errno == EAGAIN }
        if count == 0 { return false }
        let room = max(0, limit - kept[stream].count)
        kept[stream] += buffer[0..<min(count, room)]
        dropped += max(0, count - room)
        return true
    }
}
