// SPDX-License-Identifier: GPL-2.0-or-later
import Synchronization

/// Wires models to a running watcher: watches their folders, folds the events into signals with a
/// ``Reconciler``, records them in the state database, and hands each signal, in order, to the caller.
///
/// With a state database, the bridge first hands back the signals a previous run recorded but never
/// finished (after a crash), then compares the disk with the saved instance table (catch-up), then
/// reports live changes. Each batch of signals is recorded, with the table changes it reports, before the
/// caller sees it, and marked done once the caller's handler has returned.
public struct Bridge: Sendable {
    /// What the bridge tells its caller while it runs.
    public enum Event: Sendable {
        /// Signals a previous run recorded but did not finish dispatching: their JSON lines, marked
        /// `source: "catch-up"`. Sent once, first.
        case replay([JournalEntry])
        /// Every folder is watched and every existing file is known; changes from now on are reported.
        case ready(folders: Int, files: Int)
        /// Signals to dispatch, in order, each with its JSON line (without the newline).
        case signals([Emitted])
        /// Something the user should know that does not stop the bridge.
        case warning(String)
        /// The content of every instance known at start has been hashed in the background (only sent when
        /// some had to be): from now on an idle bridge does no work at all.
        case hashed(files: Int)
        /// The watcher's events as they come, before folding (only with ``forwardsRawEvents``): for `-v`.
        case raw([WatcherEvent])
        /// The first walk goes on: this many files found so far (for a progress line).
        case progress(files: Int)
    }

    /// A signal and its JSON line.
    public struct Emitted: Sendable {
        public var payload: SignalPayload
        /// The JSON line, newline included.
        public var line: [UInt8]
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
    public let dispatcher: Dispatcher?
    /// How long running receivers get to finish when the bridge stops.
    public let shutdownGrace: Duration
    /// Whether the caller also gets the raw events (``Event/raw(_:)``).
    public let forwardsRawEvents: Bool
    /// At the inotify watch limit, go on with the folders already watched instead of failing.
    public let keepsGoingAtWatchLimit: Bool
    /// When given, a signal is done only once the caller says its JSON line was written (see
    /// ``OutputProgress``); without it, once the caller's handler has returned.
    public let outputProgress: OutputProgress?

    public init(
        models: [Model], options: Reconciler.Options = .init(), state: StateStore? = nil,
        journalRetention: Duration = .seconds(7 * 86_400), stopsWhenCaughtUp: Bool = false,
        dispatcher: Dispatcher? = nil, shutdownGrace: Duration = .seconds(5), forwardsRawEvents: Bool = false,
        keepsGoingAtWatchLimit: Bool = false, outputProgress: OutputProgress? = nil
    ) {
        self.keepsGoingAtWatchLimit = keepsGoingAtWatchLimit
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
    public func run(_ handle: @Sendable (Event) async throws -> Void) async throws {
        let journal = Journal(store: state)
        let contents = try journal.open(retention: journalRetention)
        outputProgress?.report(to: journal.completion)
        defer { outputProgress?.report(to: nil) }
        if !contents.unfinished.isEmpty {
            let replayed = contents.unfinished.map { entry in (entry, SignalPayload(jsonLine: entry.line)) }
            for (entry, payload) in replayed {
                journal.completion.expect([entry.seq], receivers: dispatcher != nil && payload != nil, output: outputProgress != nil)
            }
            try await handle(.replay(contents.unfinished))
            if let dispatcher {
                for case (let entry, var payload?) in replayed {
                    payload.source = .catchUp
                    await dispatcher.dispatch(payload) { [completion = journal.completion] in completion.receiversFinished(entry.seq) }
                }
            }
        }
        do {
            try await watch(contents, journal, handle)
        } catch {
            // Stopped by an error (the reader of stdout went away, say): running receivers still get their
            // grace period, and what finished is recorded.
            if let dispatcher { await dispatcher.close(grace: shutdownGrace) }
            outputProgress?.flush()
            journal.flushDone()
            throw error
        }
    }

    private func watch(_ contents: StateStore.Contents, _ journal: Journal, _ handle: @Sendable (Event) async throws -> Void) async throws {

        let models = self.models
        let watcher = try InotifyWatcher.start(folders: folders, includeFolder: { folder in
            models.contains { model in
                model.folders.contains { folder.relative(to: $0.path).map(model.includesFolder) ?? false }
            }
        }, keepsGoingAtWatchLimit: keepsGoingAtWatchLimit)
        defer { watcher.stop() }

        let (inputs, inputContinuation) = AsyncStream.makeStream(of: Input.self)
        let forwarder = Task {
            for await batch in watcher.events { inputContinuation.yield(.batch(batch)) }
            inputContinuation.finish()
        }
        var timer = SettleTimer(continuation: inputContinuation)
        let hasher = BackgroundHasher(results: inputContinuation)
        defer {
            forwarder.cancel()
            timer.cancel()
            hasher.finish()
        }

        var reconciler = Reconciler(
            models: models, options: options, table: contents.table, hasState: contents.hasState, firstSeq: contents.nextSeq)
        var isReady = false
        var filesFound = 0
        var hashesOutstanding = 0, hashesQueued = 0
        for await input in inputs {
            var signals: [SignalPayload] = []
            var readyEvent: Event?
            switch input {
            case .batch(let batch):
                defer { watcher.batchHandled() }
                if forwardsRawEvents { try await handle(.raw(batch)) }
                if !isReady {
                    let found = batch.reduce(0) { count, event in if case .found = event { count + 1 } else { count } }
                    if found > 0, !batch.contains(where: { if case .ready = $0 { true } else { false } }) {
                        filesFound += found
                        try await handle(.progress(files: filesFound))
                    }
                }
                let now = ContinuousClock.now
                for event in batch {
                    signals += reconciler.handle(event, now: now)
                    switch event {
                    case .ready(let folders, let files):
                        // Signals before `ready` (catch-up is decided later) go out first, with the whole walk.
                        try await emit(signals, journal, &reconciler, handle, completesFirstWalk: true)
                        signals.removeAll()
                        readyEvent = .ready(folders: folders, files: files)
                        isReady = true
                    case .warning(let message):
                        try await handle(.warning(message))
                    case .overflow:
                        try await handle(.warning("the inotify queue overflowed; rescanning to find what changed"))
                    case .changed, .found, .rescanFinished, .skipped:
                        break
                    }
                }
            case .tick:
                timer.fired()
            case .hashes(let results, let attempted):
                for result in results { reconciler.recordHash(result.digest, for: result.path, state: result.state) }
                hashesOutstanding -= attempted
                if hashesOutstanding == 0 { try await handle(.hashed(files: hashesQueued)) }
            }
            signals += reconciler.flushDue(now: .now)
            try await emit(signals, journal, &reconciler, handle)
            if let readyEvent { try await handle(readyEvent) }
            let unhashed = reconciler.takeUnhashed()
            hashesOutstanding += unhashed.count
            hashesQueued += unhashed.count
            hasher.hash(unhashed)
            if let deadline = reconciler.nextDeadline { timer.schedule(at: deadline) }
            if stopsWhenCaughtUp && isReady && reconciler.isSettled { break }
        }
        // Cancelled: decide what is still settling rather than lose it.
        let remaining = reconciler.flushDue(now: .now + .seconds(86_400))
        try await emit(remaining, journal, &reconciler, handle)
        if let dispatcher { await dispatcher.close(grace: shutdownGrace) }
        // Lines the reader has not been given yet go out now, so that they count as done.
        outputProgress?.flush()
        _ = journal.record([], tableChanges: reconciler.takeTableChanges(), nextSeq: reconciler.nextSeq)
    }

    /// Records `signals` and the table changes behind them, hands them to the caller, and notes them done.
    private func emit(
        _ signals: [SignalPayload], _ journal: Journal, _ reconciler: inout Reconciler,
        _ handle: @Sendable (Event) async throws -> Void, completesFirstWalk: Bool = false
    ) async throws {
        let emitted = signals.map { Emitted(payload: $0, line: $0.jsonLine()) }
        let warning = journal.record(
            emitted, tableChanges: reconciler.takeTableChanges(), nextSeq: reconciler.nextSeq, completesFirstWalk: completesFirstWalk)
        if let warning {
            try await handle(.warning(warning))
        }
        guard !emitted.isEmpty else { return }
        journal.completion.expect(emitted.map(\.payload.seq), receivers: dispatcher != nil, output: outputProgress != nil)
        try await handle(.signals(emitted))
        guard let dispatcher else { return }
        for item in emitted {
            let seq = item.payload.seq
            await dispatcher.dispatch(item.payload) { [completion = journal.completion] in completion.receiversFinished(seq) }
        }
        await dispatcher.waitForRoom()
    }

    /// What the bridge's loop waits for: a batch from the watcher, a settle deadline, or hashes computed
    /// in the background.
    enum Input: Sendable {
        case batch([WatcherEvent])
        case tick
        case hashes([BackgroundHasher.Result], attempted: Int)
    }
}

/// The bridge's side of the state database: records batches, and collects the signals whose dispatch
/// finished (from any thread) so that the next batch marks them done in the same transaction.
private final class Journal {
    let store: StateStore?
    let completion = SignalCompletion()
    private var failed = false

    init(store: StateStore?) { self.store = store }

    func open(retention: Duration) throws(StateError) -> StateStore.Contents {
        guard let store else { return StateStore.Contents(table: InstanceTable(), nextSeq: 1, unfinished: [], hasState: false) }
        let cutoff = Timestamp(nanosecondsSinceEpoch: Timestamp.now().nanosecondsSinceEpoch - retention.nanoseconds)
        try store.prune(recordedBefore: cutoff)
        var contents = try store.load()
        if !contents.hasState && !contents.table.isEmpty {
            // A first walk stopped midway: start it again from nothing.
            try store.forgetInstances()
            contents.table = InstanceTable()
        }
        return contents
    }

    /// Writes a batch; returns a warning when the database refused it (the last committed state stays).
    func record(
        _ emitted: [Bridge.Emitted], tableChanges: [Reconciler.TableChange], nextSeq: Int64, completesFirstWalk: Bool = false
    ) -> String? {
        // Taken even without a database, where nothing keeps them: they would pile up.
        let finished = completion.take()
        guard let store else { return nil }
        guard !emitted.isEmpty || !tableChanges.isEmpty || !finished.isEmpty || completesFirstWalk else { return nil }
        var batch = StateStore.Batch(nextSeq: nextSeq)
        batch.completesFirstWalk = completesFirstWalk
        batch.signals = emitted.map { ($0.payload.seq, $0.payload.signal, $0.payload.sender, Array($0.line.dropLast())) }
        batch.tableChanges = tableChanges
        batch.done = finished
        do {
            try store.record(batch)
            failed = false
            return nil
        } catch {
            completion.restore(finished)
            defer { failed = true }
            return failed ? nil : "state not saved, the last saved state stays: \(error)"
        }
    }

    /// Marks the last finished signals done before the bridge stops.
    func flushDone() {
        guard let store else { return }
        try? store.markDone(completion.take())
    }
}

extension Duration {
    /// The duration in whole nanoseconds.
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}

/// At most one sleeping task, woken at the earliest settle deadline, that sends `.tick` into the bridge's
/// input. Deadlines only move later while a path keeps changing, so the timer is re-armed only when a
/// deadline comes earlier than the one it sleeps until, or after it fired.
private struct SettleTimer {
    let continuation: AsyncStream<Bridge.Input>.Continuation
    private var armedUntil: ContinuousClock.Instant?
    private var task: Task<Void, Never>?

    init(continuation: AsyncStream<Bridge.Input>.Continuation) { self.continuation = continuation }

    mutating func schedule(at deadline: ContinuousClock.Instant) {
        if let armedUntil, armedUntil <= deadline { return }
        task?.cancel()
        armedUntil = deadline
        task = Task { [continuation] in
            guard (try? await Task.sleep(until: deadline, clock: .continuous)) != nil else { return }
            continuation.yield(.tick)
        }
    }

    mutating func fired() {
        armedUntil = nil
        task = nil
    }

    func cancel() { task?.cancel() }
}
