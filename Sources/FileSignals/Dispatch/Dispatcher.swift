// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// Runs the receivers of each signal, with Django's dispatch rules: the one dispatcher, for the config's
/// receivers and the closures connected in Swift alike (both are connections in a ``SignalRegistry``).
///
/// - Receivers of a signal run one after another, in the order they are declared, each only for the senders
///   it names. A failure is reported and the next receiver still runs (`send_robust`), unless the failing
///   receiver says `robust = no`, which stops the ones after it for that signal (`send`).
/// - Signals of one instance are dispatched strictly in order: every receiver of a `pre_save` has finished
///   before a receiver of the matching `post_save` starts. Different instances are dispatched at the same
///   time, with at most `jobs` receiver runs going at once.
/// - `on_busy` says what happens when a run of the same receiver (for any instance) is still going: `queue`
///   waits for it, `restart` stops it, `skip` drops the new signal, `parallel` runs anyway.
/// - Loops: a `post_save` that a receiver's own run made (the instance is as the run left it, modified while
///   the run went on) does not run that receiver again; a receiver run for one instance more than
///   `loop_limit` times in 10 seconds is paused for that instance until the 10 seconds have passed, and then
///   runs for the last save held back meanwhile that it did not make itself (see ``LoopGuard``).
public actor Dispatcher {
    /// What the dispatcher reports: each run's result, and the receiver's output for the log.
    public typealias Report = ReceiverReport

    /// Settings that come from `[filesignals]` and the command line.
    public struct Settings: Sendable {
        public var root: RawPath
        public var jobs: Int
        public var loopLimit: Int
        /// The bridge's own environment, which receivers inherit (`NAME=VALUE` each).
        public var baseEnvironment: [[UInt8]]
        /// Between SIGTERM and SIGKILL when a run is stopped.
        public var grace: Duration
        /// The window `loopLimit` counts runs in.
        public var loopWindow: Duration = .seconds(10)
        /// The state database's path, which runs carry as `FILESIGNALS_STATE` so that the next bridge on it
        /// can stop what a killed one left running (see ``LeftoverRuns``); nil without one.
        public var statePath: String?

        public init(root: RawPath, jobs: Int = 4, loopLimit: Int = 10, baseEnvironment: [[UInt8]]? = nil, grace: Duration = .seconds(2)) {
            self.root = root
            self.jobs = jobs
            self.loopLimit = loopLimit
            self.baseEnvironment = baseEnvironment ?? ProcessInfo.processInfo.environment
                .filter { !$0.key.hasPrefix("FILESIGNALS_") }
                .sorted { $0.key < $1.key }
                .map { Array("\($0.key)=\($0.value)".utf8) }
            self.grace = grace
        }
    }

    /// Where the receivers are picked from.
    public nonisolated let registry: SignalRegistry
    /// The settings it was made with (the root, `jobs`), which url receivers' deliverers share.
    public nonisolated let settings: Settings
    let runner: ReceiverRunner
    let report: @Sendable (Report) -> Void
    let warn: @Sendable (DispatchWarning) -> Void
    /// When runs that could not start were last warned of: at most once a minute, however many wait.
    var lastShortageWarning: ContinuousClock.Instant?
    let slots: JobSlots
    var gates: [String: ReceiverGate] = [:]
    /// Signals waiting per instance, and whether a task is working through them.
    private var lanes: [RawPath: Lane] = [:]
    var isClosed = false
    /// Runs going outside any instance's lane (`--run-first`), which a stop waits for as for the lanes.
    var runsOutsideLanes = 0
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    /// Signals queued and not yet started, over every instance, and who waits for that number to fall.
    private var queuedCount = 0
    private var roomWaiters: [(limit: Int, continuation: CheckedContinuation<Void, Never>)] = []
    private var isRoomUnlimited = false
    var loopGuard: LoopGuard
    /// Per receiver and instance, the last save a `loop_limit` pause held back, run when the pause ends.
    /// Its delivery stays unfinished meanwhile: a stop or a crash leaves it to the next start.
    private var heldBack: [LoopGuard.Key: (signal: SignalPayload, delivered: @Sendable (String, Delivery.State) -> Void)] = [:]
    /// Signals gathered for the next run of each `batch = yes` receiver, by its key (see `Dispatcher+Batches`).
    var batches: [String: PendingBatch] = [:]
    /// The `restart` runs going, by instance, so that a newer signal of the instance stops them.
    var restartRuns: [RawPath: [(receiver: ReceiverDeclaration, stop: ProcessRunner.StopHandle)]] = [:]

    private struct Lane {
        var queue: [Queued] = []
        var isWorking = false
    }

    /// A signal waiting for its turn, and whom to tell as its receivers finish.
    private struct Queued {
        var signal: SignalPayload
        /// The deliveries to make (receivers' ``ReceiverDeclaration/deliveryKey``); nil for every receiver.
        var deliveries: Set<String>?
        var delivered: @Sendable (String, Delivery.State) -> Void
        var done: @Sendable () -> Void
    }

    /// A dispatcher of `receivers` only (declaration order), in a registry of its own.
    public init(
        receivers: [ReceiverDeclaration], handlers: HandlerRegistry = .builtIn, settings: Settings,
        report: @escaping @Sendable (Report) -> Void, warn: @escaping @Sendable (DispatchWarning) -> Void = { _ in }
    ) {
        let registry = SignalRegistry()
        registry.replaceDeclared(with: receivers)
        self.init(registry: registry, handlers: handlers, settings: settings, report: report, warn: warn)
    }

    /// - Parameters:
    ///   - registry: the receivers, looked up for each signal (a closure connected later gets later signals).
    ///   - report: called for each run, from any thread.
    ///   - warn: told of what holds runs up without being a result (runs that cannot start for now).
    public init(
        registry: SignalRegistry, handlers: HandlerRegistry = .builtIn, settings: Settings,
        report: @escaping @Sendable (Report) -> Void, warn: @escaping @Sendable (DispatchWarning) -> Void = { _ in }
    ) {
        self.registry = registry
        self.settings = settings
        let environment = settings.baseEnvironment + (settings.statePath.map { [LeftoverRuns.marker(forState: $0)] } ?? [])
        self.runner = ReceiverRunner(root: settings.root, handlers: handlers, baseEnvironment: environment, grace: settings.grace)
        registry.runner = runner
        self.report = { outcome in
            let result = outcome.result
            let kind = result.isFailure ? (result.status == .exited ? "failed" : result.status.rawValue) : (result.status == .skipped ? "skipped" : "ok")
            FileSignalsMetrics.count("filesignals_receiver_runs_total", [("receiver", result.receiver), ("outcome", kind)])
            if result.status != .skipped {
                FileSignalsMetrics.time("filesignals_receiver_run_duration_seconds", [("receiver", result.receiver)], .milliseconds(result.milliseconds))
            }
            report(outcome)
        }
        self.warn = warn
        self.loopGuard = LoopGuard(limit: settings.loopLimit, window: settings.loopWindow)
        self.slots = JobSlots(count: settings.jobs)
    }

    /// Whether any receiver listens to `signal` from `sender`.
    public nonisolated func hasReceivers(for signal: String, sender: String) -> Bool {
        !registry.receivers(of: signal, from: sender).isEmpty
    }

    /// The deliveries `signal` makes: the ``ReceiverDeclaration/deliveryKey`` of each receiver it reaches and
    /// that its `when` lets run, in order. The journal records them with the signal.
    public nonisolated func deliveries(for signal: SignalPayload) -> [String] {
        registry.receivers(of: signal.signal, from: signal.sender).filter { $0.applies(to: signal) }.map(\.deliveryKey)
    }

    /// Replaces the config's receivers (a reloaded config); closures connected in Swift stay. A receiver whose
    /// `dispatch_uid` (or, without one, name) is unchanged keeps its busy state; the change applies from the
    /// next signal.
    /// - Returns: the new receivers known by the key of a closure connected in Swift.
    @discardableResult
    public func replaceReceivers(_ new: [ReceiverDeclaration]) -> [SignalRegistry.KeyClash] {
        let ignored = registry.replaceDeclared(with: new)
        let keys = Set((new + registry.connectedInSwift).map(\.deliveryKey))
        gates = gates.filter { keys.contains($0.key) }
        return ignored
    }

    /// Queues `signal` behind the earlier signals of its instance.
    ///
    /// - Parameters:
    ///   - deliveries: the receivers (by ``ReceiverDeclaration/deliveryKey``) to run; nil for every one.
    ///   - delivered: called for each of `deliveries` once it is finished with: `done` (run, or skipped by a
    ///     rule) or `dropped` (a receiver before it failed with `robust = no`, or its receiver no longer takes
    ///     the signal); not for those the dispatcher was closed before, nor one a `loop_limit` pause holds
    ///     back, which stay undelivered in the journal.
    ///   - done: called once every receiver has finished with it (not when closed before its turn came).
    public func dispatch(
        _ signal: SignalPayload, to deliveries: Set<String>? = nil, delivered: @escaping @Sendable (String, Delivery.State) -> Void = { _, _ in },
        done: @escaping @Sendable () -> Void = {}
    ) {
        guard !isClosed else { return }
        let key = signal.path
        // A newer signal of the instance makes the `restart` runs going for it obsolete: they stop now rather
        // than run to their end before the new one's turn comes.
        for run in restartRuns[key] ?? [] where run.receiver.receives(signal.signal, from: signal.sender) {
            run.stop.stop()
        }
        lanes[key, default: Lane()].queue.append(Queued(signal: signal, deliveries: deliveries, delivered: delivered, done: done))
        queuedCount += 1
        guard !lanes[key]!.isWorking else { return }
        lanes[key]!.isWorking = true
        Task { await self.work(on: key) }
    }

    /// Stops taking signals: those not started are dropped (they stay unfinished in the journal and are
    /// dispatched again on the next start); running ones get `grace` to finish, then are stopped.
    public func close(grace: Duration) async {
        stopTakingSignals()
        // A `restart` receiver (a server) never ends by itself: it is stopped now, not after the grace.
        let restarting = Set(registry.all.filter { $0.onBusy == .restart }.map(\.deliveryKey))
        for (key, gate) in gates where restarting.contains(key) { await gate.stopAll() }
        let deadline = ContinuousClock.now + grace
        let stopper = Task {
            try? await Task.sleep(until: deadline, clock: .continuous)
            if Task.isCancelled { return }
            for gate in self.allGates() { await gate.stopAll() }
        }
        await waitUntilIdle()
        stopper.cancel()
    }

    /// Stops at once, without the grace of ``close(grace:)``: signals not started are dropped and running
    /// receivers are stopped now (SIGTERM, then SIGKILL after `grace`). Their signals stay unfinished in the
    /// journal and are dispatched again at the next start. For SIGQUIT, or a second SIGINT or SIGTERM.
    public func stopNow() async {
        stopTakingSignals()
        for gate in allGates() { await gate.stopAll() }
    }

    /// What both ways of closing share: no new signal, the queued ones dropped, nobody left waiting for room.
    private func stopTakingSignals() {
        isClosed = true
        for key in lanes.keys { lanes[key]!.queue.removeAll() }
        queuedCount = 0
        resumeRoomWaiters()
    }

    /// Waits while more than `limit` signals wait for their turn: the bridge calls it after each batch, so
    /// that receivers slower than the changes hold up the watcher (whose bounded backlog then overflows into
    /// a rescan) instead of queueing signals in memory without bound.
    /// A cancelled task stops waiting (the bridge is stopping).
    public func waitForRoom(limit: Int = 10_000) async {
        if queuedCount <= limit || isClosed || isRoomUnlimited || Task.isCancelled { return }
        await withTaskCancellationHandler {
            await withCheckedContinuation { roomWaiters.append((limit, $0)) }
        } onCancel: {
            Task { await self.releaseRoomWaiters() }
        }
    }

    /// Stops ``waitForRoom(limit:)`` from holding anyone up, now and later: the bridge is stopping, and its
    /// last signals are to be recorded and printed, not held behind slow receivers.
    public func stopWaitingForRoom() {
        isRoomUnlimited = true
        releaseRoomWaiters()
    }

    private func releaseRoomWaiters() {
        let waiting = roomWaiters
        roomWaiters.removeAll()
        waiting.forEach { $0.continuation.resume() }
    }

    /// Resumes the waiters whose limit the queue is down to (all of them once closed).
    private func resumeRoomWaiters() {
        var waiting: [(limit: Int, continuation: CheckedContinuation<Void, Never>)] = []
        for waiter in roomWaiters {
            if queuedCount <= waiter.limit || isClosed { waiter.continuation.resume() } else { waiting.append(waiter) }
        }
        roomWaiters = waiting
    }

    /// Waits until no signal is queued or being dispatched.
    public func waitUntilIdle() async {
        if isIdle { return }
        await withCheckedContinuation { idleWaiters.append($0) }
    }

    /// No signal queued or being dispatched, and no run outside the lanes (`--run-first`) going.
    private var isIdle: Bool { lanes.isEmpty && runsOutsideLanes == 0 }

    /// Tells those waiting for the dispatcher to be idle, if it is.
    func resumeIdleWaitersIfIdle() {
        guard isIdle else { return }
        let waiters = idleWaiters
        idleWaiters.removeAll()
        waiters.forEach { $0.resume() }
    }

    private func allGates() -> [ReceiverGate] { Array(gates.values) }

    private func work(on key: RawPath) async {
        while let next = lanes[key]?.queue.first {
            lanes[key]!.queue.removeFirst()
            queuedCount -= 1
            if !roomWaiters.isEmpty { resumeRoomWaiters() }
            if await dispatchNow(next) { next.done() }
        }
        lanes[key] = nil
        resumeIdleWaitersIfIdle()
    }

    /// Runs the receivers of one signal, in order, telling of each delivery as it is finished with.
    /// - Returns: false when the dispatcher was closed before every receiver had its turn.
    private func dispatchNow(_ queued: Queued) async -> Bool {
        let signal = queued.signal
        var left = queued.deliveries ?? []
        var picked: [ReceiverDeclaration] = []
        for receiver in registry.receivers(of: signal.signal, from: signal.sender) where queued.deliveries == nil || left.contains(receiver.deliveryKey) {
            left.remove(receiver.deliveryKey)
            // A url receiver's deliveries are made from the outbox by its HTTP deliverer, not here.
            if receiver.urlSettings == nil { picked.append(receiver) }
        }
        // Deliveries to receivers that are gone (a reload removed them) are finished with: nobody is left to run.
        for key in left { queued.delivered(key, .dropped) }
        // Encoded once for every receiver's stdin.
        let line = signal.jsonLine()
        for (index, receiver) in picked.enumerated() {
            guard receiver.applies(to: signal) else {
                queued.delivered(receiver.deliveryKey, .done)
                continue
            }
            if isClosed { return false }
            let result = receiver.batch ? await runInBatch(receiver, signal, line: line) : await runOrSkip(receiver, signal, line: line)
            // Stopped by the shutdown: the delivery is not made, and is made again at the next start; but a
            // `restart` receiver (a server) runs until stopped, and has served its signal.
            if isClosed && result.wasStopped {
                if receiver.onBusy == .restart { queued.delivered(receiver.deliveryKey, .done) }
                return false
            }
            if let until = result.heldBackUntil {
                holdBack(signal, for: LoopGuard.Key(receiver: receiver.deliveryKey, instance: signal.path), until: until, delivered: queued.delivered)
                continue
            }
            queued.delivered(receiver.deliveryKey, .done)
            if result.isFailure && !receiver.robust {
                // Django's `send`: the receivers after a failing one do not get the signal, now or later.
                for later in picked[(index + 1)...] { queued.delivered(later.deliveryKey, .dropped) }
                return true
            }
        }
        return true
    }

    /// Reports that `receiver` does not run for `signal`, and why.
    func skipped(_ receiver: ReceiverDeclaration, _ signal: SignalPayload, because reason: String) -> ReceiverResult {
        let result = ReceiverResult(
            seq: signal.seq, receiver: receiver.name, signal: signal.signal, instance: signal.instance,
            status: .skipped, code: nil, milliseconds: 0, message: reason)
        report(Report(result: result))
        return result
    }

    private func runOrSkip(_ receiver: ReceiverDeclaration, _ signal: SignalPayload, line: [UInt8]) async -> ReceiverResult {
        let loopKey = LoopGuard.Key(receiver: receiver.deliveryKey, instance: signal.path)
        if let refused = loopGuardRefusal(receiver, signal) { return refused }
        let stop = ProcessRunner.StopHandle()
        // A newer signal of the same instance for this receiver waits in the lane: this one is obsolete.
        let isSuperseded = receiver.onBusy == .restart
            && lanes[signal.path]?.queue.contains { receiver.receives($0.signal.signal, from: $0.signal.sender) } ?? false
        let ticket: Int
        switch await takeTurn(receiver, stop: stop, superseded: isSuperseded) {
        case .skip(let reason): return skipped(receiver, signal, because: reason)
        case .run(let entered): ticket = entered
        }
        if receiver.onBusy == .restart { restartRuns[signal.path, default: []].append((receiver, stop)) }
        let started = LoopGuard.wallClockNanoseconds()
        let outcome = await runInSlot(receiver, ticket: ticket, signal: signal) {
            await self.runner.run(receiver, signal, line: line, stop: stop, isStopping: { await self.isClosed })
        }
        if receiver.onBusy == .restart {
            restartRuns[signal.path]?.removeAll { $0.stop === stop }
            if restartRuns[signal.path]?.isEmpty == true { restartRuns[signal.path] = nil }
        }
        // A run stopped for a newer signal (on_busy = restart) made nothing that signal is about: the newer
        // save is someone else's, never this run's own write.
        if outcome.result.status != .skipped { loopGuard.runEnded(loopKey, startedAt: started, path: signal.path) }
        report(outcome)
        return outcome.result
    }

    /// Why the loop guard keeps `receiver` from running for `signal` (reported), or nil when it may run.
    func loopGuardRefusal(_ receiver: ReceiverDeclaration, _ signal: SignalPayload) -> ReceiverResult? {
        switch loopGuard.decide(LoopGuard.Key(receiver: receiver.deliveryKey, instance: signal.path), for: signal) {
        case .run: return nil
        case .ownWrite(let reason): return skipped(receiver, signal, because: reason)
        case .paused(let reason, let until, let holdBack):
            var result = skipped(receiver, signal, because: reason)
            if holdBack { result.heldBackUntil = until }
            return result
        }
    }

    /// Keeps `signal` (the newest held back for `key`) to run the receiver when its pause ends, at `until`.
    /// The save it replaces is finished with: a newer one of the same file stands for it.
    private func holdBack(
        _ signal: SignalPayload, for key: LoopGuard.Key, until: ContinuousClock.Instant, delivered: @escaping @Sendable (String, Delivery.State) -> Void
    ) {
        let replaced = heldBack.updateValue((signal, delivered), forKey: key)
        replaced?.delivered(key.receiver, .done)
        guard replaced == nil else { return }
        Task {
            try? await Task.sleep(until: until + .milliseconds(10), clock: .continuous)
            self.releaseHeldBack(key)
        }
    }

    private func releaseHeldBack(_ key: LoopGuard.Key) {
        guard !isClosed, let held = heldBack.removeValue(forKey: key) else { return }
        dispatch(held.signal, to: [key.receiver], delivered: held.delivered)
    }
}
