// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import FileSignals
import Foundation
import Synchronization

/// Runs a bridge for `watch` and `scan`: prints each signal (a JSON line on stdout, or a short line on
/// stderr), stops on SIGINT or SIGTERM, reloads the receivers on SIGHUP, and stops quietly when the reader
/// of stdout goes away.
enum BridgeSession {
    /// Standard output for JSON lines: a reader that stops reading holds up neither the watcher nor the
    /// receivers; what it has not read waits in memory, then in a spool file.
    static let standardOutput: SpooledLineOutput = SpooledLineOutput(onWritten: { seq in outputProgress.written(through: seq) })
    /// Tells the bridge which signals' lines are out, so that one not yet out when filesignals dies is
    /// printed again at the next start.
    static let outputProgress: OutputProgress = OutputProgress(flush: { standardOutput.drain() })
    /// Rung on SIGUSR1, which `filesignals retry` sends after it made dead deliveries pending.
    static let outboxWakeUp = OutboxWakeUp()

    /// - Parameter reload: reads the config again; nil when there is none to reload.
    /// - Parameter config: the config file watched, named in the ready line (it may be one found above the
    ///   current folder).
    /// - Parameter onReady: called once the first walk is done and watching is ready.
    static func run(
        _ bridge: Bridge, json: Bool, config: String? = nil, reload: (@Sendable () async -> Void)? = nil, onReady: (@Sendable () -> Void)? = nil
    ) async throws {
        // Signals are caught before anything starts: a SIGTERM right after "ready" must stop, not kill.
        let stop = StopRequest()
        let systemd = SystemdNotifier.shared
        var onReload: (@Sendable () -> Void)?
        if let reload {
            onReload = {
                Task {
                    systemd?.reloading()
                    await reload()
                    systemd?.send("READY=1")
                }
            }
        }
        // SIGINT and SIGTERM stop after running receivers had their grace; SIGQUIT, or a second SIGINT or
        // SIGTERM, stops them now (their signals are dispatched again at the next start).
        StopSignals.listen(onStop: { number in
            let isUrgent = number == SIGQUIT || stop.isRequested
            stop.request()
            systemd?.send("STOPPING=1")
            if isUrgent { standardOutput.abandon() }
            if number == SIGHUP { Log.info("the terminal hung up (SIGHUP)") }
            guard let dispatcher = bridge.dispatcher else { return }
            if isUrgent {
                Log.info("stopping; running receivers are stopped now")
                Task { await dispatcher.stopNow() }
            } else {
                Log.info("stopping; running receivers get \(DurationText.format(bridge.shutdownGrace)) to finish (SIGINT again, or SIGQUIT, stops them now)")
            }
        }, onReload: onReload, onOutbox: { bridge.outboxWakeUp?.ring() })
        // After the last signal is recorded, whatever ends the run.
        defer { bridge.state?.closeCleanly() }
        if let systemd, let heartbeat = bridge.heartbeat { systemd.startWatchdog(heartbeat) }
        /// What is watched and how far the bridge has got, for `STATUS=`.
        let progress = Mutex<(watching: String, lastSeq: Int64)>(("starting", 0))
        /// How far behind the bridge is: the signals recorded and not finished (receivers or url endpoints
        /// still to do them), read from the database.
        let store = bridge.state
        @Sendable func statusText() -> String {
            var text = progress.withLock { $0.lastSeq > 0 ? "\($0.watching); last signal seq \($0.lastSeq)" : $0.watching }
            if let unfinished = try? store?.backlog().unfinished { text += "; \(unfinished) unfinished" }
            return text
        }
        let watching = Task {
            try await bridge.run { event in
                switch event {
                case .replay(let entries):
                    Log.info("\(entries.count) signal\(entries.count == 1 ? "" : "s") of the last run had not finished; sending them again")
                    for entry in entries where entry.pendingDeliveries?.contains(Delivery.standardOutput) == true {
                        if json { try standardOutput.write(entry.lineForRedispatch + [UInt8(ascii: "\n")], mark: entry.seq) }
                    }
                case .journal(let entries):
                    // `--since`: one write per page, marked with its last seq, as a batch of live signals is.
                    if json, let last = entries.last {
                        try standardOutput.write(entries.reduce(into: []) { $0 += $1.line + [UInt8(ascii: "\n")] }, mark: last.seq)
                    }
                case .signals(let signals):
                    if systemd != nil, let last = signals.last {
                        progress.withLock { $0.lastSeq = last.payload.seq }
                        systemd?.setStatus(statusText())
                    }
                    if json, let last = signals.last {
                        // One write for the batch: its mark (the last seq) says every line of it is out.
                        try standardOutput.write(signals.reduce(into: []) { $0 += $1.line }, mark: last.payload.seq)
                    } else if !json {
                        for signal in signals {
                            Log.info(signal.payload.humanLine(), colour: Log.colour(ofSignal: signal.payload.signal))
                        }
                    }
                case .ready(let folders, let files):
                    var counts = "\(folders) folder\(folders == 1 ? "" : "s"), \(files) file\(files == 1 ? "" : "s")"
                    if let config { counts += " of \(absolutePath(config))" }
                    if bridge.stopsWhenCaughtUp {
                        Log.info("scanned \(counts)")
                    } else {
                        Log.info("watching \(counts); ready")
                    }
                    onReady?()
                    if let systemd {
                        progress.withLock { $0.watching = "watching \(counts)" }
                        systemd.setStatus(statusText())
                        systemd.send("READY=1\nSTATUS=\(statusText())")
                    }
                case .warning(let warning):
                    Log.warning(warning.description)
                case .progress(let files):
                    Log.progress("watching; \(files) files found so far")
                case .raw(let events):
                    for event in events { Log.debug(Self.describe(event)) }
                case .hashed(let files):
                    Log.info("content of \(files) more file\(files == 1 ? "" : "s") hashed in the background")
                }
            }
        }
        stop.attach(watching)
        if json {
            Thread.detachNewThread {
                LineOutput.standardOutput.waitUntilReaderCloses()
                standardOutput.abandon()
                watching.cancel()
            }
        }
        // Whatever way it ends, what the reader has not read yet is written first (unless it went away, or a
        // second stop signal said not to wait).
        defer { if json { standardOutput.drain() } }
        do {
            try await watching.value
        } catch let error as WatcherError {
            Log.error(error.description)
            throw ExitCodes.status(for: error)
        } catch let error as StateError {
            Log.error(error.description)
            throw ExitCodes.status(for: error)
        } catch let error as URLReceiverError {
            Log.error(error.description)
            throw ExitCodes.config
        } catch is LineOutput.Closed {
            // The reader went away (`| head -1`): nothing left to do, and nothing to complain about.
        }
    }

    /// One raw event for `-v`: `CLOSE_WRITE /srv/notes/a.md`.
    static func describe(_ event: WatcherEvent) -> String {
        switch event {
        case .changed(let path, let mask, let cookie): return "event \(mask) \(path)" + (cookie != 0 ? " cookie \(cookie)" : "")
        case .found(let path, let reason, _): return "found \(path) (\(reason))"
        case .ready(let folders, let files): return "first walk done: \(folders) folders, \(files) files"
        case .overflow: return "event Q_OVERFLOW"
        case .rescanFinished: return "rescan done"
        case .warning(let warning): return "warning \(warning)"
        case .skipped(let folder): return "skipped \(folder)"
        }
    }

    /// The dispatcher of the config's receivers and of the closures connected in Swift (the config's are
    /// connected to the shared ``SignalRegistry`` here), or nil with `--no-receivers` or no receiver at all.
    /// - Parameter failures: counts the runs that failed, when the command's exit status tells of them.
    /// - Parameter adding: a receiver given on the command line (``CommandLineReceiver``), after the config's.
    static func dispatcher(
        for target: WatchTarget, enabled: Bool, results: Bool, failures: FailureCount? = nil, adding commandLine: ReceiverDeclaration? = nil
    ) -> Dispatcher? {
        let registry = SignalRegistry.shared
        let declared = (target.config?.receivers ?? []) + [commandLine].compactMap { $0 }
        guard enabled, !declared.isEmpty || !registry.connectedInSwift.isEmpty else { return nil }
        ConfigReceivers.warn(registry.replaceDeclared(with: declared), file: target.config?.file ?? "the command line")
        let log = ReceiverLog.reporter(results: results)
        let general = target.config?.general ?? GeneralSettings()
        var settings = Dispatcher.Settings(root: target.root, jobs: general.jobs, loopLimit: general.loopLimit)
        settings.statePath = target.statePath
        return Dispatcher(
            registry: registry, handlers: FileSignalsCLI.handlers, settings: settings,
            report: { report in
                if report.result.isFailure { failures?.add() }
                log(report)
            },
            warn: { Log.warning($0.description) })
    }

    /// What SIGHUP does: read the config again; if it is valid, its receivers replace the old ones from the
    /// next signal on; if not, its errors are printed and the old config stays.
    /// - Parameter commandLine: the receiver given on the command line, which stays.
    static func reloader(path: String?, dispatcher: Dispatcher?, keeping commandLine: ReceiverDeclaration? = nil) -> (@Sendable () async -> Void)? {
        guard let path else { return nil }
        guard let dispatcher else {
            // Started with no receiver (or --no-receivers): there is nothing to replace, and nothing to stop for.
            return { Log.warning("\(path) not reloaded: this watch runs no receiver; restart it to run the config's") }
        }
        let urlsAtStart = Set(dispatcher.registry.all.compactMap(\.urlSettings))
        return {
            do {
                let config = try ConfigOptions.load(path: path)
                ConfigReceivers.warn(await dispatcher.replaceReceivers(config.receivers + [commandLine].compactMap { $0 }), file: config.file)
                if Set(config.receivers.compactMap(\.urlSettings)) != urlsAtStart {
                    Log.warning("url receivers changed; their deliveries follow the new config from the next start (the outbox keeps what they have not sent)")
                }
                Log.info("reloaded \(path): \(config.receivers.count) receiver\(config.receivers.count == 1 ? "" : "s")")
            } catch {
                Log.warning("\(path) not reloaded; the running config stays")
            }
        }
    }
}

/// A stop asked for by a signal, possibly before the task to stop exists.
final class StopRequest: Sendable {
    private let state = Mutex<(requested: Bool, task: Task<Void, any Error>?)>((false, nil))

    var isRequested: Bool { state.withLock { $0.requested } }

    func request() {
        state.withLock { state in
            state.requested = true
            state.task?.cancel()
        }
    }

    func attach(_ task: Task<Void, any Error>) {
        state.withLock { state in
            state.task = task
            if state.requested { task.cancel() }
        }
    }
}
