// SPDX-License-Identifier: GPL-2.0-or-later
@testable import FileSignals
import Foundation
import Glibc
import Synchronization
import TestSupport

/// A dispatcher over a temporary folder, with its reports collected.
final class DispatcherHarness: Sendable {
    let folder: TemporaryFolder
    let dispatcher: Dispatcher
    private let collected: ReportBox

    init(
        _ receivers: [ReceiverDeclaration], jobs: Int = 4, loopLimit: Int = 10, loopWindow: Duration = .seconds(120),
        handlers: HandlerRegistry = .builtIn
    ) throws {
        let folder = try TemporaryFolder()
        self.folder = folder
        let collected = ReportBox()
        self.collected = collected
        var settings = Dispatcher.Settings(root: RawPath(folder.path), jobs: jobs, loopLimit: loopLimit, grace: .milliseconds(300))
        settings.loopWindow = loopWindow   // long by default: a loaded machine must not spread the runs out of it
        dispatcher = Dispatcher(receivers: receivers, handlers: handlers, settings: settings) { report in collected.add(report) }
    }

    var reports: [Dispatcher.Report] { collected.all }
    var results: [ReceiverResult] { reports.map(\.result) }

    /// A signal for the file `name` in the folder (created when `create`).
    func signal(_ name: String, _ signal: ModelSignal = .postSave, seq: Int64 = 1, create: Bool = true) throws -> SignalPayload {
        try self.signal(bytes: Array(name.utf8), signal, seq: seq, create: create)
    }

    func signal(bytes name: [UInt8], _ signal: ModelSignal = .postSave, seq: Int64 = 1, create: Bool = true) throws -> SignalPayload {
        let path = RawPath(folder.path).appending(RawPath(bytes: name))
        if create {
            let descriptor = path.withCString { open($0, O_CREAT | O_WRONLY, 0o644) }
            guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown) }
            close(descriptor)
        }
        var payload = SignalPayload(
            seq: seq, time: .now(), signal: signal.rawValue, sender: "Note", instance: RawPath(bytes: name), path: path,
            source: .live, state: InstanceState.read(at: path))
        if signal == .postSave {
            payload.created = true
            payload.changes = .all
            payload.sha256 = ContentHash.sha256(of: path)
        }
        return payload
    }

    func dispatchAndWait(_ signals: [SignalPayload]) async {
        for signal in signals { await dispatcher.dispatch(signal) }
        await dispatcher.waitUntilIdle()
    }

    /// The text of a file in the folder, or "" when it is missing.
    func read(_ name: String) -> String {
        (try? String(contentsOfFile: folder.path + "/" + name, encoding: .utf8)) ?? ""
    }

    /// Waits until `condition` holds, looking every 5 ms at what another process writes, with a deadline.
    /// It sleeps as a task, so that the dispatcher's own tasks keep running meanwhile; only the time this task
    /// was awake to look counts (see `pollAsync`), so a busy machine does not use up the wait.
    func waitFor(_ condition: () -> Bool, seconds: Double = 30) async -> Bool {
        await pollAsync(upTo: seconds, every: .milliseconds(5)) { condition() }
    }
}

/// A receiver, as the config reader would make it.
func receiver(
    _ name: String, command: String? = nil, exec: [String]? = nil, signals: [ModelSignal] = [.postSave],
    timeout: Duration? = .seconds(120), onBusy: ReceiverDeclaration.BusyPolicy = .queue, robust: Bool = true,
    environment: [String: String] = [:]
) -> ReceiverDeclaration {
    var declaration = ReceiverDeclaration(
        name: name, position: SourcePosition(line: 1, column: 1), signals: signals.map(\.rawValue), senders: [],
        action: exec.map { .exec($0) } ?? .command(command ?? "true"))
    declaration.timeout = timeout
    declaration.onBusy = onBusy
    declaration.robust = robust
    declaration.environment = environment.sorted { $0.key < $1.key }.map { .init(name: $0.key, value: $0.value) }
    return declaration
}

/// Whether the process `pid` is gone (or a zombie waiting for init to reap it: it runs no more).
func processIsGone(_ pid: pid_t) -> Bool {
    if kill(pid, 0) != 0 { return true }
    let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    return stat.split(separator: ")").last?.split(separator: " ").first == "Z"
}

/// Reports collected from the dispatcher's threads.
final class ReportBox: Sendable {
    private let reports = Mutex<[Dispatcher.Report]>([])
    func add(_ report: Dispatcher.Report) { reports.withLock { $0.append(report) } }
    var all: [Dispatcher.Report] { reports.withLock { $0 } }
}
