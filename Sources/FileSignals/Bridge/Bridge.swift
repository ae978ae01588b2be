// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Logging
import Synchronization

/// Wires models to a running watcher: watches their folders, folds the events into signals with a
/// ``Reconciler``, records them in the state database, and hands each signal, in order, to the caller.
///
/// With a state database, the bridge first makes again the deliveries a previous run recorded but never
/// finished (after a crash), then compares the disk with the saved instance table (catch-up), then
/// reports live changes. Each batch of signals is recorded, with the table changes it reports and one
/// delivery per receiver (and for a confirmed reader of the lines), before the caller sees it; each
/// delivery is marked done when its receiver has finished with it.
public struct Bridge: Sendable {
    /// What the bridge tells its caller while it runs.
    public enum Event: Sendable {
        /// The journaled signals after ``Bridge/resumesAfter``, in order, a page at a time, before any other
        /// line is printed: each is to be printed (the caller's writes mark them out through ``OutputProgress``).
        case journal([JournalEntry])
        /// Signals a previous run recorded with deliveries it did not finish; each entry's ``JournalEntry/deliveries``
        /// are those made again now (``Delivery/standardOutput`` when its line is to be printed again, with
        /// ``JournalEntry/lineForRedispatch``). Sent once, first.
        case replay([JournalEntry])
        /// Every folder is watched and every existing file is known; changes from now on are reported.
        case ready(folders: Int, files: Int)
        /// Signals to dispatch, in order, each with its JSON line (without the newline).
        case signals([Emitted])
        /// Something the user should know that does not stop the bridge.
        case warning(BridgeWarning)
        /// The content of every instance known at start has been hashed in the background, `files` of them
        /// read (sent once, and only when some had to be): from now on an idle bridge does no work at all.
        case hashed(files: Int)
        /// The watcher's events as they come, before folding (only with ``forwardsRawEvents``): for `-v`.
        case raw([WatcherEvent])
        /// The first walk goes on: this many files found so far (for a progress line).
        case progress(files: Int)
    }

    /// A signal, its JSON line, and the deliveries the journal recorded for it.
    public struct Emitted: Sendable {
        public var payload: SignalPayload
        /// The JSON line, newline included.
        public var line: [UInt8]
        /// The receivers it goes to (``ReceiverDeclaration/deliveryKey``), and ``Delivery/standardOutput``
        /// when its line is printed for a confirmed reader.
        public var deliveries: [String] = []
    }

    public let models: [Model]
    public let options: Reconciler.Options
    /// Where the instance table, `seq` and journal are kept; nil to keep nothing across runs.
    public let state: StateStore?
    /// How long finished signals stay in the journal.
    public let journalRetention: Duration
    /// Stop once the first walk and its catch-up are decided, instead of watching (`filesignals scan`).
    public let stopsWhenCaughtUp: Bool
    /// Runs the receivers; nil to only report signals to the caller.
    public var dispatcher: Dispatcher?
    /// How long running receivers get to finish when the bridge stops.
    public let shutdownGrace: Duration
    /// Whether the caller also gets the raw events (``Event/raw(_:)``).
    public let forwardsRawEvents: Bool
    /// At the inotify watch limit, go on with the folders already watched instead of failing.
    public let keepsGoingAtWatchLimit: Bool
    /// Do not descend into folders on another file system than their model's folder (`find -xdev`).
    public let staysOnOneFileSystem: Bool
    /// When given, each signal has a ``Delivery/standardOutput`` delivery, done once the caller says its JSON
    /// line was written (see ``OutputProgress``).
    public let outputProgress: OutputProgress?
    /// `watch --json --since SEQ`: the journaled signals after this seq are given (``Event/journal(_:)``)
    /// before the live ones, with no gap and no repeat between the two; nil to start with the live ones.
    public var resumesAfter: Int64?
    /// Rung to make the url receivers look at their outbox again (dead deliveries made pending).
    public var outboxWakeUp: OutboxWakeUp?
    /// Beaten by the watcher thread at every wake-up, for a watchdog.
    public var heartbeat: Heartbeat?
    /// Where the bridge logs what it does on its own (a url receiver's endpoint failing, a delivery given up):
    /// swift-log's `Logger`, which a program built on the library configures (`LoggingSystem.bootstrap`, or a
    /// logger of its own here). The CLI's handler writes today's terminal format.
    public var logger = Logger(label: "filesignals")

    public init(
        models: [Model], options: Reconciler.Options = .init(), state: StateStore? = nil,
        journalRetention: Duration = .seconds(7 * 86_400), stopsWhenCaughtUp: Bool = false,
        dispatcher: Dispatcher? = nil, shutdownGrace: Duration = .seconds(5), forwardsRawEvents: Bool = false,
        keepsGoingAtWatchLimit: Bool = false, staysOnOneFileSystem: Bool = false, outputProgress: OutputProgress? = nil
    ) {
        self.keepsGoingAtWatchLimit = keepsGoingAtWatchLimit
        self.staysOnOneFileSystem = staysOnOneFileSystem
        self.outputProgress = outputProgress
        self.forwardsRawEvents = forwardsRawEvents
        self.models = models
        self.options = options
        self.state = state
        self.journalRetention = journalRetention
        self.stopsWhenCaughtUp = stopsWhenCaughtUp
        self.dispatcher = dispatcher
        self.shutdownGrace = shutdownGrace
    }

    /// The deliveries `signal` makes: one per receiver it reaches, and the printing of its line when a reader
    /// is confirmed. Recorded with the signal; each is marked done on its own.
    func deliveries(for signal: SignalPayload) -> [String] {
        (outputProgress != nil ? [Delivery.standardOutput] : []) + (dispatcher?.deliveries(for: signal) ?? [])
    }

    /// The `url =` receivers (by delivery key), whose deliveries their HTTP deliverers make from the outbox:
    /// recorded with each signal, but neither dispatched nor awaited by the bridge.
    var outboxReceivers: Set<String> {
        guard state != nil else { return [] }
        return Set(dispatcher?.registry.all.filter { $0.urlSettings != nil }.map(\.deliveryKey) ?? [])
    }

    /// An HTTP deliverer for each `url =` receiver (none without a state database, which holds their outbox).
    private func makeDeliverers() throws -> [HTTPDeliverer] {
        guard let state, let dispatcher else { return [] }
        let receivers = dispatcher.registry.all.filter { $0.urlSettings != nil }
        guard !receivers.isEmpty else { return [] }
        let host = ProcessInfo.processInfo.hostName
        return try receivers.map { receiver in
            try HTTPDeliverer(
                receiver: receiver, settings: receiver.urlSettings!, store: state, root: dispatcher.settings.root, host: host,
                jobs: dispatcher.settings.jobs, logger: logger)
        }
    }

    /// Every distinct top folder of the models.
    public var folders: [RawPath] {
        var seen = Set<RawPath>()
        return models.flatMap(\.folders).map(\.path).filter { seen.insert($0).inserted }
    }

    /// Watches and reports until the calling task is cancelled or `handle` throws. On cancellation, changes
    /// still inside their settle window are decided and reported before returning.
    ///
    /// - Throws: ``WatcherError`` when watching cannot start, ``StateError`` when the state database cannot
    ///   be read, or what `handle` threw.
    public func run(_ handle: @escaping @Sendable (Event) async throws -> Void) async throws {
        let journal = Journal(store: state)
        let contents = try journal.open(retention: journalRetention)
        // A bridge killed on this database may have left receivers running: they go before their deliveries
        // are made again.
        if let state { LeftoverRuns.stop(forState: state.path) }
        outputProgress?.report(to: journal.completion)
        defer { outputProgress?.report(to: nil) }
        if let since = resumesAfter, let state {
            try await giveJournal(after: since, before: contents.nextSeq, from: state, journal, handle)
        }
        try await replay(contents.unfinished, journal, handle)
        let deliverers = try makeDeliverers()
        for deliverer in deliverers { await deliverer.start() }
        if !deliverers.isEmpty { outboxWakeUp?.listen { for deliverer in deliverers { Task { await deliverer.wake(fromStart: true) } } } }
        do {
            // Handed over, not copied: the reconciler must hold the table alone (``StateStore/Contents/takeTable()``).
            try await watch(consume contents, journal, deliverers, handle)
        } catch {
            // Stopped by an error (the reader of stdout went away, say): running receivers still get their
            // grace period, and what finished is recorded.
            if let dispatcher { await dispatcher.close(grace: shutdownGrace) }
            for deliverer in deliverers { await deliverer.stop() }
            outputProgress?.flush()
            journal.flushDone()
            throw error
        }
        for deliverer in deliverers { await deliverer.stop() }
    }

    /// Gives the journaled signals after `since` and before `nextSeq` (the first live one) a page at a time,
    /// each line's printing expected as a delivery when it was pending, so that the caller's writes mark it
    /// done; warns of a gap the journal can no longer fill.
    private func giveJournal(
        after since: Int64, before nextSeq: Int64, from state: StateStore, _ journal: Journal, _ handle: @escaping @Sendable (Event) async throws -> Void
    ) async throws {
        if since >= nextSeq {
            if since > nextSeq - 1 { try await handle(.warning(.journalGap(since: since, missing: nil, last: nextSeq - 1))) }
            return
        }
        var cursor = since
        while cursor < nextSeq - 1 {
            let page = try state.journal(after: cursor, limit: 2000).filter { $0.seq < nextSeq }
            guard let last = page.last else { break }
            if cursor == since, page[0].seq > since + 1 {
                try await handle(.warning(.journalGap(since: since, missing: (since + 1)...(page[0].seq - 1), last: nextSeq - 1)))
            }
            for entry in page where entry.pendingDeliveries?.contains(Delivery.standardOutput) == true {
                journal.completion.expect(entry.seq, deliveries: [Delivery.standardOutput])
            }
            try await handle(.journal(page))
            cursor = last.seq
        }
        if cursor == since, since < nextSeq - 1 {
            try await handle(.warning(.journalGap(since: since, missing: (since + 1)...(nextSeq - 1), last: nextSeq - 1)))
        }
    }

    /// Makes again the deliveries a previous run recorded and did not finish (it was killed): each to its own
    /// receiver only, and the line printed again only when it had not been. A delivery this run cannot make
    /// (no `--json`, or `--no-receivers`) waits for a run that can; one to a receiver the config no longer has
    /// is marked `dropped`.
    private func replay(_ unfinished: [JournalEntry], _ journal: Journal, _ handle: @escaping @Sendable (Event) async throws -> Void) async throws {
        var resent: [(entry: JournalEntry, payload: SignalPayload?, receivers: Set<String>)] = []
        let outbox = outboxReceivers
        // Receivers that run here; a url receiver's deliveries wait in the outbox for its deliverer.
        let receivers = Set(dispatcher?.registry.all.map(\.deliveryKey) ?? []).subtracting(outbox)
        var dropped: [Delivery] = []
        var nothingToDeliver: [Int64] = []
        var printedBefore: [Int64] = []
        for var entry in unfinished {
            let payload = SignalPayload(jsonLine: entry.line)
            // Recorded before deliveries were kept: every delivery of today's.
            var pending = entry.pendingDeliveries ?? payload.map(deliveries(for:)) ?? [Delivery.standardOutput]
            if pending.isEmpty { nothingToDeliver.append(entry.seq) }
            if dispatcher != nil {
                dropped += pending.filter { $0 != Delivery.standardOutput && !receivers.contains($0) && !outbox.contains($0) }.map { Delivery(seq: entry.seq, receiver: $0) }
            }
            if let since = resumesAfter, pending.contains(Delivery.standardOutput) {
                // `--since`: a line after it was just given with the journal; one at or before it, the reader
                // says it has.
                if entry.seq <= since { journal.completion.expect(entry.seq, deliveries: [Delivery.standardOutput]); printedBefore.append(entry.seq) }
                pending.removeAll { $0 == Delivery.standardOutput }
            }
            let now = pending.filter { $0 == Delivery.standardOutput ? outputProgress != nil : receivers.contains($0) && payload != nil }
            guard !now.isEmpty else { continue }
            journal.completion.expect(entry.seq, deliveries: now)
            entry.deliveries = now.map { ($0, .pending) }
            resent.append((entry, payload, Set(now).subtracting([Delivery.standardOutput])))
        }
        journal.drop(dropped, finishing: nothingToDeliver)
        for seq in printedBefore { journal.completion.delivered(seq, to: Delivery.standardOutput) }
        guard !resent.isEmpty else { return }
        try await handle(.replay(resent.map(\.entry)))
        guard let dispatcher else { return }
        for case (let entry, var payload?, let receivers) in resent where !receivers.isEmpty {
            payload.source = .catchUp
            await dispatcher.dispatch(payload, to: receivers) { [completion = journal.completion] in completion.delivered(entry.seq, to: $0, $1) }
        }
    }

    /// Watches until cancelled (or, for `scan`, caught up). The work is done on the watcher's thread by a
    /// ``BridgeEngine``; this task hands what it sends to `handle` and to the receivers.
    private func watch(
        _ contents: consuming StateStore.Contents, _ journal: Journal, _ deliverers: [HTTPDeliverer], _ handle: @escaping @Sendable (Event) async throws -> Void
    ) async throws {
        let models = self.models
        let reconciler = Reconciler(
            models: models, options: options, table: contents.takeTable(), hasState: contents.hasState, firstSeq: contents.nextSeq,
            keepsTableChanges: state != nil)
        // Moved, so that this scope, which lives as long as the watch, keeps no second reference to the table.
        let engine = BridgeEngine(reconciler: consume reconciler, journal: journal, bridge: self)
        let thread = try WatcherThread.start(folders: folders, includeFolder: { folder in
            models.contains { model in
                model.folders.contains { watched in folder.relative(to: watched.path).map { model.includesFolder($0, of: watched) } ?? false }
            }
        }, keepsGoingAtWatchLimit: keepsGoingAtWatchLimit, staysOnOneFileSystem: staysOnOneFileSystem, client: engine)
        // Joined before anything else uses the journal or the engine's reconciler again.
        defer { thread.stop() }
        // The outbox is read by a task of its own, which a stop does not cancel: a cancelled task's `for await`
        // ends at once and drops what is still in the stream, and a stop's last events are the ones that matter
        // (the watcher's thread decides everything still settling, and only then finishes the outbox).
        let dispatcher = self.dispatcher
        let outbox = outboxReceivers
        let reader = Task {
            for await event in engine.outbox {
                defer { engine.backlog.handled() }
                try await handle(event)
                guard case .signals(let emitted) = event else { continue }
                if FileSignalsMetrics.isReporting {
                    // Counted per kind of signal in the batch, not per signal: a burst's batch is thousands.
                    var kinds: [[String]: Int] = [:]
                    for item in emitted { kinds[[item.payload.signal, item.payload.sender, item.payload.source.rawValue], default: 0] += 1 }
                    for (kind, count) in kinds {
                        FileSignalsMetrics.count("filesignals_signals_total", [("signal", kind[0]), ("sender", kind[1]), ("source", kind[2])], by: count)
                    }
                }
                for deliverer in deliverers { await deliverer.wake() }
                guard let dispatcher else { continue }
                for item in emitted {
                    let receivers = Set(item.deliveries).subtracting([Delivery.standardOutput]).subtracting(outbox)
                    guard !receivers.isEmpty else { continue }
                    let seq = item.payload.seq
                    await dispatcher.dispatch(item.payload, to: receivers) { [completion = journal.completion] in completion.delivered(seq, to: $0, $1) }
                }
                await dispatcher.waitForRoom()
            }
        }
        try await withTaskCancellationHandler {
            try await reader.value
        } onCancel: {
            thread.requestStop()
            // Receivers slower than the changes must not hold up a stop.
            if let dispatcher { Task { await dispatcher.stopWaitingForRoom() } }
        }
        thread.stop()
        if let failure = engine.failure { throw failure }
        // `scan` has waited for its receivers already: its engine ends only once every signal is finished.
        if let dispatcher { await dispatcher.close(grace: shutdownGrace) }
        // Lines the reader has not been given yet go out now, so that they count as done.
        outputProgress?.flush()
        _ = journal.record([], tableChanges: [], nextSeq: engine.reconciler.nextSeq)
    }
}
