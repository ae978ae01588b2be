// SPDX-License-Identifier: GPL-2.0-or-later

/// Wires models to a running watcher: watches their folders, folds the events into signals with a
/// ``Reconciler``, and hands each signal, in order, to the caller.
public struct Bridge: Sendable {
    /// What the bridge tells its caller while it runs.
    public enum Event: Sendable {
        /// Every folder is watched and every existing file is known; changes from now on are reported.
        case ready(folders: Int, files: Int)
        /// Signals to dispatch, in order.
        case signals([SignalPayload])
        /// Something the user should know that does not stop the bridge.
        case warning(String)
    }

    public let models: [Model]
    public let options: Reconciler.Options

    public init(models: [Model], options: Reconciler.Options = .init()) {
        self.models = models
        self.options = options
    }

    /// Every distinct top folder of the models.
    public var folders: [RawPath] {
        var seen = Set<RawPath>()
        return models.flatMap(\.folders).map(\.path).filter { seen.insert($0).inserted }
    }

    /// Watches and reports until the calling task is cancelled or `handle` throws. On cancellation, changes
    /// still inside their settle window are decided and reported before returning.
    ///
    /// - Throws: ``WatcherError`` when watching cannot start, or what `handle` threw.
    public func run(_ handle: @Sendable (Event) async throws -> Void) async throws {
        let models = self.models
        let watcher = try InotifyWatcher.start(folders: folders) { folder in
            models.contains { model in
                model.folders.contains { folder.relative(to: $0.path).map(model.includesFolder) ?? false }
            }
        }
        defer { watcher.stop() }

        let (inputs, inputContinuation) = AsyncStream.makeStream(of: Input.self)
        let forwarder = Task {
            for await batch in watcher.events { inputContinuation.yield(.batch(batch)) }
            inputContinuation.finish()
        }
        var timer = SettleTimer(continuation: inputContinuation)
        defer {
            forwarder.cancel()
            timer.cancel()
        }

        var reconciler = Reconciler(models: models, options: options)
        for await input in inputs {
            var signals: [SignalPayload] = []
            switch input {
            case .batch(let batch):
                let now = ContinuousClock.now
                for event in batch {
                    signals += reconciler.handle(event, now: now)
                    switch event {
                    case .ready(let folders, let files):
                        try await emit(signals, then: .ready(folders: folders, files: files), handle)
                        signals.removeAll()
                    case .warning(let message):
                        try await handle(.warning(message))
                    case .overflow:
                        try await handle(.warning("the inotify queue overflowed: some changes may not be reported"))
                    case .changed, .found:
                        break
                    }
                }
            case .tick:
                timer.fired()
            }
            signals += reconciler.flushDue(now: .now)
            try await emit(signals, then: nil, handle)
            if let deadline = reconciler.nextDeadline { timer.schedule(at: deadline) }
        }
        // Cancelled: decide what is still settling rather than lose it.
        let remaining = reconciler.flushDue(now: .now + .seconds(86_400))
        try await emit(remaining, then: nil, handle)
    }

    private func emit(_ signals: [SignalPayload], then event: Event?, _ handle: @Sendable (Event) async throws -> Void) async throws {
        if !signals.isEmpty { try await handle(.signals(signals)) }
        if let event { try await handle(event) }
    }

    /// What the bridge's loop waits for: a batch from the watcher, or a settle deadline.
    enum Input: Sendable {
        case batch([WatcherEvent])
        case tick
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
