// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Synchronization

/// Runs one receiver for one signal, whatever kind it is: a process (`command`, `exec`), a named Swift
/// handler, or a closure connected in Swift. The dispatcher calls it under its rules (order, `jobs`,
/// `on_busy`); ``Signal/send(_:)`` calls it directly, as Django's `send` does.
///
/// A timeout stops a process (SIGTERM to its group, SIGKILL after the grace) and cancels a Swift handler or
/// closure; the run is over then, whether or not the Swift code returns (Swift cannot stop a task that ignores
/// cancellation, or one blocked in a system call): a hung handler holds up neither its signal nor a stop.
struct ReceiverRunner: Sendable {
    let root: RawPath
    let handlers: HandlerRegistry
    /// The bridge's own environment, which processes inherit (`NAME=VALUE` each).
    let baseEnvironment: [[UInt8]]
    /// Between SIGTERM and SIGKILL when a run is stopped.
    let grace: Duration

    init(root: RawPath, handlers: HandlerRegistry, baseEnvironment: [[UInt8]], grace: Duration) {
        self.root = root
        self.handlers = handlers
        self.baseEnvironment = baseEnvironment
        self.grace = grace
    }

    /// Runs `receiver` for `signal`, with `line` (the signal's JSON line) on a process's stdin.
    ///
    /// - Parameter isStopping: asked when a process was stopped, to tell a shutdown from a restart.
    func run(
        _ receiver: ReceiverDeclaration, _ signal: SignalPayload, line: [UInt8], stop: ProcessRunner.StopHandle,
        isStopping: @Sendable () async -> Bool = { false }
    ) async -> ReceiverReport {
        let invocation = ReceiverInvocation(receiver: receiver, signal: signal, root: root)
        var result = ReceiverResult(
            seq: signal.seq, receiver: receiver.name, signal: signal.signal, instance: signal.instance,
            status: .exited, code: 0, milliseconds: 0, message: nil)
        let call: @Sendable (SignalPayload) async throws -> Void
        switch invocation.program {
        case .process(let arguments):
            return await runProcess(arguments, invocation, receiver, line: line, stop: stop, result: result, isStopping: isStopping)
        case .handler(let name, let options):
            guard let handler = handlers.handler(named: name) else {
                result.status = .error; result.code = nil; result.message = "no handler named \(name)"
                return ReceiverReport(result: result)
            }
            let context = HandlerRegistry.Context(options: options, root: root, receiver: receiver.name)
            call = { signal in try await handler(signal, context) }
        case .closure(let closure):
            call = closure.body
        case .request:
            // Sent from the outbox by an HTTP deliverer, which the bridge runs beside the dispatcher.
            result.status = .skipped; result.code = nil; result.message = "a url receiver is sent from the outbox, by `watch`"
            return ReceiverReport(result: result)
        }
        let started = ContinuousClock.now
        let outcome = await Self.call(call, signal, timeout: receiver.timeout, stop: stop)
        result.milliseconds = Self.milliseconds(ContinuousClock.now - started)
        var report = ReceiverReport(result: result)
        if case .failure(let error) = outcome {
            report.result.status = error is CallTimeout ? .timeout : .error
            report.result.code = nil
            report.result.message = "\(error)"
            report.error = error
            if error is CallStopped {
                let isShutdown = await isStopping()
                report.result.status = isShutdown ? .signaled : .skipped
                report.result.wasStopped = isShutdown
                report.result.message = isShutdown ? "stopped by filesignals" : "stopped for a newer signal (on_busy = restart)"
                report.error = nil
            }
        }
        return report
    }

    /// Runs a `batch = yes` receiver once for `signals` (in order), with their JSON lines, `lines`, on its
    /// stdin; with no signal, the first run at start (`--run-first`). The result is that of the last signal,
    /// with ``ReceiverResult/signals`` the count.
    func runBatch(
        _ receiver: ReceiverDeclaration, _ signals: [SignalPayload], lines: [UInt8], stop: ProcessRunner.StopHandle,
        isStopping: @Sendable () async -> Bool = { false }
    ) async -> ReceiverReport {
        var result = ReceiverResult(
            seq: signals.last?.seq ?? 0, receiver: receiver.name, signal: signals.last?.signal ?? "", instance: signals.last?.instance ?? RawPath(""),
            status: .exited, code: 0, milliseconds: 0, message: nil)
        result.signals = signals.count
        if signals.count > 1 { result.servedSeqs = signals.map(\.seq) }
        let invocation = ReceiverInvocation(receiver: receiver, batchOf: signals.count, root: root)
        guard case .process(let arguments) = invocation.program else {
            result.status = .error; result.code = nil; result.message = "only command and exec receivers run in batches"
            return ReceiverReport(result: result)
        }
        return await runProcess(arguments, invocation, receiver, line: lines, stop: stop, result: result, isStopping: isStopping)
    }

    private func runProcess(
        _ arguments: [[UInt8]], _ invocation: ReceiverInvocation, _ receiver: ReceiverDeclaration, line: [UInt8],
        stop: ProcessRunner.StopHandle, result: ReceiverResult, isStopping: @Sendable () async -> Bool
    ) async -> ReceiverReport {
        var result = result
        var request = ProcessRunner.Request(
            arguments: arguments,
            environment: baseEnvironment.filter { entry in
                !invocation.environment.contains { entry.starts(with: Array(($0.name + "=").utf8)) }
            } + invocation.environment.map(\.entry),
            workingFolder: invocation.workingFolder, input: line, timeout: receiver.timeout)
        request.grace = grace
        request.passesOutputThrough = receiver.passesOutputThrough
        if receiver.clearsTerminal && isatty(STDOUT_FILENO) == 1 {
            // Home, clear the screen, and clear the scrollback (xterm's extension), as `clear` does.
            let clear = Array("\u{1B}[H\u{1B}[2J\u{1B}[3J".utf8)
            _ = clear.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
        }
        let outcome = await ProcessRunner.run(request, stop: stop)
        result.milliseconds = Self.milliseconds(outcome.duration)
        switch outcome.status {
        case .exited(let code): result.code = code
        case .signaled(let number): result.status = .signaled; result.code = number
        case .timedOut:
            result.status = .timeout; result.code = nil
            result.message = "stopped after \(DurationText.format(receiver.timeout ?? .zero))"
        case .stopped(let signal):
            if await isStopping() {
                // A restart receiver (a server) runs until it is stopped: stopped as filesignals stops, it did
                // what it was for, and is no failure.
                result.status = receiver.onBusy == .restart ? .skipped : .signaled
                result.code = receiver.onBusy == .restart ? nil : signal ?? SIGTERM
                result.message = "stopped by filesignals"
                result.wasStopped = true
            } else {
                // Stopped for a newer signal (on_busy = restart): superseded, not failed.
                result.status = .skipped; result.code = nil
                result.message = "stopped for a newer signal (on_busy = restart)"
            }
        case .failedToStart(let code):
            result.status = .error; result.code = nil
            result.message = "cannot start: \(String(cString: strerror(code)))"
        }
        var report = ReceiverReport(
            result: result, standardOutput: outcome.standardOutput, standardError: outcome.standardError, droppedBytes: outcome.droppedBytes)
        if case .failedToStart(let code) = outcome.status { report.couldNotStartForNow = [EMFILE, ENFILE, EAGAIN, ENOMEM].contains(code) }
        return report
    }

    /// A Swift receiver that ran past its timeout (and was cancelled).
    struct CallTimeout: Error, CustomStringConvertible {
        let timeout: Duration
        var description: String { "stopped after \(DurationText.format(timeout))" }
    }

    /// A Swift receiver that was stopped (a shutdown, or `on_busy = restart`).
    struct CallStopped: Error, CustomStringConvertible {
        var description: String { "stopped" }
    }

    /// Calls `body`, and returns when it does, or at `timeout`, or when `stop` is asked for, whichever comes
    /// first; then `body`'s task is cancelled and left to end on its own.
    private static func call(
        _ body: @escaping @Sendable (SignalPayload) async throws -> Void, _ signal: SignalPayload, timeout: Duration?,
        stop: ProcessRunner.StopHandle
    ) async -> Result<Void, any Error> {
        let outcome = FirstOutcome()
        let work = Task {
            do {
                try await body(signal)
                outcome.settle(.success(()))
            } catch {
                outcome.settle(.failure(error))
            }
        }
        let timer = timeout.map { timeout in
            Task {
                try? await Task.sleep(for: timeout)
                if !Task.isCancelled { outcome.settle(.failure(CallTimeout(timeout: timeout))) }
            }
        }
        stop.whenStopped { outcome.settle(.failure(CallStopped())) }
        let result = await outcome.value
        work.cancel()
        timer?.cancel()
        return result
    }

    /// The first of several outcomes, awaited once.
    private final class FirstOutcome: Sendable {
        private let state = Mutex<(result: Result<Void, any Error>?, waiter: CheckedContinuation<Result<Void, any Error>, Never>?)>((nil, nil))

        func settle(_ result: Result<Void, any Error>) {
            let waiter = state.withLock { state -> CheckedContinuation<Result<Void, any Error>, Never>? in
                guard state.result == nil else { return nil }
                state.result = result
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: result)
        }

        var value: Result<Void, any Error> {
            get async {
                await withCheckedContinuation { continuation in
                    let settled = state.withLock { state -> Result<Void, any Error>? in
                        if state.result == nil { state.waiter = continuation }
                        return state.result
                    }
                    if let settled { continuation.resume(returning: settled) }
                }
            }
        }
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}
