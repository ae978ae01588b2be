// SPDX-License-Identifier: GPL-2.0-or-later
import Synchronization

/// The bridge's work on the watcher's thread: folds every batch of events into the reconciler, decides
/// what has settled when its deadline comes, records the signals in the journal, and hands them to the
/// bridge's task through ``outbox``.
///
/// Signals are decided and leave the thread at most once per ``sendInterval``: in a burst, the files that
/// settle within that interval are decided by one wake-up and cross to the bridge's task (and on to stdout
/// and the receivers) as one batch, instead of one each; a lone change still goes out the moment it settles.
///
/// Mutable state is touched on the watcher's thread only (the bridge reads what is left once the thread
/// has been joined); what other threads hand in (hashes) goes through a lock.
final class BridgeEngine: WatcherClient, @unchecked Sendable {
    /// What the bridge's task receives, in order. Finishes when the thread ends.
    let outbox: AsyncStream<Bridge.Event>
    /// Counts batches in ``outbox`` not yet handled; the thread stops taking events while it is full.
    let backlog = Backlog()
    /// Why watching ended, if it failed; read once ``outbox`` has finished.
    var failure: WatcherError? { endedWith.withLock { $0 } }

    /// How often, at most, signals are handed to the bridge's task: a fifth of the settle window, between
    /// 1 and 10 ms. Only a steady stream of changes waits for it, by at most that much.
    let sendInterval: Duration
    /// How long the watcher's thread lets events gather after taking some, during a burst: a
    /// fifth of the settle window, at most 10 ms (as ``sendInterval``); none at `--settle 0`.
    let burstReadPause: Duration
    /// Paths pending at once from which changes count as a burst. Below it (someone saving a few files)
    /// every event is read at once, so that the settle window is timed exactly.
    static let burstSize = 8

    private let continuation: AsyncStream<Bridge.Event>.Continuation
    private let journal: Journal
    /// The deliveries each signal makes (``Bridge/deliveries(for:)``).
    private let deliveries: @Sendable (SignalPayload) -> [String]
    /// The `url` receivers, whose deliveries are made from the outbox and not awaited here.
    private let outboxReceivers: Set<String>
    private let heartbeat: Heartbeat?
    private let forwardsRawEvents: Bool
    private let stopsWhenCaughtUp: Bool
    private let endedWith = Mutex<WatcherError?>(nil)
    private let hasher: BackgroundHasher

    private(set) var reconciler: Reconciler
    /// Decided signals not yet handed over (waiting for the send interval).
    private var unsent: [SignalPayload] = []
    private var lastSend: ContinuousClock.Instant?
    /// When done marks were last written: at most once per ``sendInterval`` between batches.
    private var lastRecord: ContinuousClock.Instant?
    private var isReady = false
    private var filesFound = 0
    private var hashesOutstanding = 0
    /// Digests found in the background since start, told once (``Bridge/Event/hashed(files:)``) when the
    /// start's backlog is done; nil once told. Files hashed later (a save whose digest could not be taken on
    /// the spot) are not news.
    private var hashedSinceStart: Int? = 0
    private(set) var isFinished = false

    init(reconciler: Reconciler, journal: Journal, bridge: Bridge) {
        self.reconciler = reconciler
        let settle = reconciler.options.settle
        self.sendInterval = min(max(settle / 5, .milliseconds(1)), .milliseconds(10))
        self.burstReadPause = min(settle / 5, .milliseconds(10))
        self.journal = journal
        self.deliveries = bridge.deliveries(for:)
        self.outboxReceivers = bridge.outboxReceivers
        self.heartbeat = bridge.heartbeat
        self.forwardsRawEvents = bridge.forwardsRawEvents
        self.stopsWhenCaughtUp = bridge.stopsWhenCaughtUp
        (outbox, continuation) = AsyncStream.makeStream(of: Bridge.Event.self)
        hasher = BackgroundHasher(wakeUp: backlog.wakeUp, policy: bridge.options.digests)
        bridge.heartbeat?.attach { [wakeUp = backlog.wakeUp] in wakeUp.wake() }
        // A finished delivery is marked done soon (see ``tick()``), not only with the next batch: a `kill -9`
        // of an idle bridge must not make receivers run again for what they had finished. And `scan` ends once
        // its receivers have run, and what they wrote has settled. Without a state database neither needs a
        // wake-up (the marks are only taken, with the next batch).
        if journal.store != nil || stopsWhenCaughtUp {
            journal.completion.whenFinished { [wakeUp = backlog.wakeUp] in wakeUp.wake() }
        }
    }

    var attention: WakeUpDescriptor { backlog.wakeUp }
    var isBehind: Bool { backlog.isFull }
    var readPause: Duration { reconciler.pendingCount >= Self.burstSize ? burstReadPause : .zero }

    var wakeUpTime: ContinuousClock.Instant? {
        let marks = journal.completion.hasFinished ? (lastRecord.map { $0 + sendInterval } ?? .now) : nil
        // Behind: what is due waits for ``attention``, which the consumer wakes as it catches up.
        if isBehind { return marks }
        guard let work = unsent.isEmpty ? reconciler.nextDeadline : .now else { return marks }
        let sending = lastSend.map { max(work, $0 + sendInterval) } ?? work
        return marks.map { min($0, sending) } ?? sending
    }

    func wokeUp(late: Duration) {
        reconciler.noteLateWakeUp(by: late, now: .now)
    }

    func receive(_ batch: [WatcherEvent]) {
        if forwardsRawEvents { send(.raw(batch)) }
        if !isReady {
            let found = batch.reduce(0) { count, event in if case .found = event { count + 1 } else { count } }
            if found > 0, !batch.contains(where: { if case .ready = $0 { true } else { false } }) {
                filesFound += found
                send(.progress(files: filesFound))
            }
        }
        let now = ContinuousClock.now
        for event in batch {
            unsent += reconciler.handle(event, now: now)
            switch event {
            case .ready(let folders, let files):
                // Signals before `ready` (catch-up is decided later) go out first, with the whole walk.
                emit(completesFirstWalk: true, now: now)
                unsent += reconciler.flushDue(now: now, limit: Self.decisionsPerTick)
                emit(now: now)
                send(.ready(folders: folders, files: files))
                isReady = true
            case .warning(let warning):
                send(.warning(.watcher(warning)))
            case .overflow:
                FileSignalsMetrics.count("filesignals_queue_overflows_total")
                send(.warning(.queueOverflowed))
            case .rescanFinished:
                FileSignalsMetrics.count("filesignals_rescans_total")
            case .changed, .found, .skipped:
                break
            }
        }
        // The first walk's table is recorded as it goes, not held until its end.
        if !isReady { emit(now: now) }
    }

    func tick() {
        heartbeat?.beat()
        let now = ContinuousClock.now
        var hashed = false
        for (results, attempted) in hasher.takeResults() {
            for result in results { reconciler.recordHash(result.digest, for: result.path, state: result.state) }
            hashesOutstanding -= attempted
            hashedSinceStart? += results.count
            hashed = true
        }
        // Deciding and sending wait for the interval since the last send: under a steady stream of changes,
        // one wake-up decides all that came due meanwhile. And for the consumer, while it is behind: a catch-up
        // of 50,000 changed files decided them all at once, holding every signal in memory (360 MB).
        if !isBehind, lastSend.map({ now >= $0 + sendInterval }) ?? true {
            unsent += reconciler.flushDue(now: now, limit: Self.decisionsPerTick)
            if !unsent.isEmpty { emit(now: now) }
        }
        // Digests found in the background are table changes too: recorded now, not held until the next signal;
        // so are finished deliveries, once the interval has passed.
        if hashed || (journal.completion.hasFinished && lastRecord.map({ now >= $0 + sendInterval }) ?? true) { record([]) }
        if hashesOutstanding == 0 {
            // The next few paths only: a large tree's paths are not all copied out of the table at once.
            let unhashed = reconciler.takeUnhashed(limit: 1024)
            if !unhashed.isEmpty {
                hashesOutstanding = unhashed.count
                hasher.hash(unhashed)
            } else if isReady, let files = hashedSinceStart {
                if files > 0 { send(.hashed(files: files)) }
                hashedSinceStart = nil
            }
        }
        // `scan` watches on while receivers run: what they write is decided like any change (and their own
        // writes are not sent back to them), so the next scan does not find it and run them again.
        // Worked out at every tick: events read at the very end (see `WatcherThread`) may make it false again.
        isFinished = stopsWhenCaughtUp && isReady && reconciler.isSettled && unsent.isEmpty && !journal.completion.hasUnfinished
    }

    func end(error: WatcherError?) {
        hasher.finish()
        if error == nil {
            // Stopped: decide what is still settling rather than lose it; with a state database, a deletion not
            // yet sure is left to the next start.
            unsent += reconciler.flushAtStop(now: .now, leavesRecentDeletions: journal.store != nil)
            emit(now: .now)
        }
        endedWith.withLock { $0 = error }
        continuation.finish()
    }

    /// Records the unsent signals and the table changes behind them, then hands the signals over.
    private func emit(completesFirstWalk: Bool = false, now: ContinuousClock.Instant) {
        let emitted = unsent.map { Bridge.Emitted(payload: $0, line: $0.jsonLine(), deliveries: deliveries($0)) }
        unsent.removeAll(keepingCapacity: true)
        record(emitted, completesFirstWalk: completesFirstWalk)
        guard !emitted.isEmpty else { return }
        for item in emitted {
            journal.completion.expect(item.payload.seq, deliveries: outboxReceivers.isEmpty ? item.deliveries : item.deliveries.filter { !outboxReceivers.contains($0) })
        }
        send(.signals(emitted))
        lastSend = now
    }

    /// Paths decided per wake-up at most: about 40 ms of the watcher's thread in a burst, so that the events
    /// read meanwhile are taken and folded in between (and a lone change is not held up by a burst's).
    static let decisionsPerTick = 2048

    /// Records `emitted` with the table changes made since the last record, warning when the database
    /// refused them.
    private func record(_ emitted: [Bridge.Emitted], completesFirstWalk: Bool = false) {
        lastRecord = .now
        let refused = journal.record(
            emitted, tableChanges: reconciler.takeTableChanges(), nextSeq: reconciler.nextSeq, completesFirstWalk: completesFirstWalk,
            duringFirstWalk: !isReady)
        if let refused { send(.warning(.stateNotSaved(refused))) }
    }

    private func send(_ event: Bridge.Event) {
        backlog.handedOver()
        continuation.yield(event)
    }
}
