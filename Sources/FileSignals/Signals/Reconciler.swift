// SPDX-License-Identifier: GPL-2.0-or-later

/// Turns what the watcher reports into model signals, by comparing the disk with the instance table.
///
/// Raw events are never passed through one to one. An event only marks its path as *pending*; once the
/// path has stayed quiet for `settle`, the reconciler looks at the disk (`lstat`) and compares it with the
/// instance table: a file that is there and was not is a save with `created: true`, a file that changed is
/// a save, a file that was there and is gone is a delete. So every sequence of events on one path inside
/// the settle window folds into at most one save or one delete, and an event seen twice (by inotify and by
/// the listing of a new folder) changes nothing.
///
/// The reconciler is a plain value driven by its caller: ``handle(_:now:)`` for each event and
/// ``flushDue(now:)`` when ``nextDeadline`` has passed. It does no waiting of its own, which is what makes
/// it testable with any clock.
public struct Reconciler: Sendable {
    public typealias Instant = ContinuousClock.Instant

    /// How to fold events into signals.
    public struct Options: Sendable, Hashable {
        /// How long a path must stay quiet before its change is decided.
        public var settle: Duration
        /// How long a file that was created or written but not yet closed must stay quiet before it is
        /// treated as saved anyway (a hard link, a writer that keeps its file open). Never below `settle`.
        public var unclosedWriteTimeout: Duration
        /// Whether files found by the first walk are reported (`--initial`) instead of silently filling the table.
        public var reportInitialFiles: Bool

        public init(settle: Duration = .milliseconds(50), unclosedWriteTimeout: Duration = .seconds(1), reportInitialFiles: Bool = false) {
            self.settle = settle
            self.unclosedWriteTimeout = unclosedWriteTimeout
            self.reportInitialFiles = reportInitialFiles
        }
    }

    /// A path with events not yet decided.
    private struct PendingChange: Sendable {
        var location: Model.Location
        var sender: String
        var source: SignalSource
        var lastEvent: Instant
        /// Created or written, and not yet closed.
        var isBeingWritten = false
        /// `pre_save` already sent for this change (at the first write to an existing instance).
        var preSaveSent = false
    }

    public let models: [Model]
    public let options: Options
    public private(set) var table = InstanceTable()
    private var pending: [RawPath: PendingChange] = [:]
    private var nextSeq: Int64

    /// - Parameters:
    ///   - models: the models whose instances are tracked; a file belongs to the first model that includes it.
    ///   - firstSeq: the `seq` of the first signal.
    public init(models: [Model], options: Options = Options(), firstSeq: Int64 = 1) {
        self.models = models
        self.options = options
        self.nextSeq = firstSeq
    }

    /// The earliest time at which ``flushDue(now:)`` has something to decide, or nil when nothing is pending.
    public var nextDeadline: Instant? {
        pending.values.lazy.map { deadline(of: $0) }.min()
    }

    /// Whether no path is waiting to be decided.
    public var isSettled: Bool { pending.isEmpty }

    /// Takes one event from the watcher into account.
    ///
    /// - Returns: signals to send right away: a `pre_save` at the first write to an existing instance.
    public mutating func handle(_ event: WatcherEvent, now: Instant) -> [SignalPayload] {
        switch event {
        case .found(let path, let reason):
            guard let (model, location) = owner(of: path) else { return [] }
            if reason == .initialWalk && !options.reportInitialFiles {
                // With no saved state, the files that exist at start-up become the table silently.
                if table[path] == nil, let state = InstanceState.read(at: path) { table[path] = state }
                return []
            }
            markPending(path, location: location, sender: model.name, source: reason == .initialWalk ? .initial : .live, now: now)
            return []
        case .changed(let path, let mask, _):
            if mask.contains(.isDirectory) {
                if mask.contains(.delete) || mask.contains(.movedFrom) || mask.contains(.deleteSelf) || mask.contains(.moveSelf) {
                    markInstancesPending(under: path, now: now)
                }
                return []
            }
            guard let (model, location) = owner(of: path) else { return [] }
            markPending(path, location: location, sender: model.name, source: .live, now: now)
            if mask.contains(.create) || mask.contains(.modify) { pending[path]!.isBeingWritten = true }
            if mask.contains(.closeWrite) || mask.contains(.delete) || mask.contains(.movedFrom) {
                pending[path]!.isBeingWritten = false
            }
            let isWrite = !mask.isDisjoint(with: [.create, .modify, .attrib])
            guard isWrite, !pending[path]!.preSaveSent, let previous = table[path] else { return [] }
            // The earliest moment a save of an existing instance can be seen: tell pre_save receivers now.
            pending[path]!.preSaveSent = true
            return [makeSignal(.preSave, for: pending[path]!, path: path, state: InstanceState.read(at: path), previous: previous)]
        case .overflow, .ready, .warning:
            return []
        }
    }

    /// Decides every pending path whose settle window has passed.
    ///
    /// - Returns: the signals, in the order the paths became quiet.
    public mutating func flushDue(now: Instant) -> [SignalPayload] {
        let due = pending.filter { deadline(of: $0.value) <= now }.sorted { $0.value.lastEvent < $1.value.lastEvent }
        var signals: [SignalPayload] = []
        for (path, change) in due {
            pending[path] = nil
            decide(path, change, into: &signals)
        }
        return signals
    }

    private func deadline(of change: PendingChange) -> Instant {
        let wait = change.isBeingWritten ? max(options.settle, options.unclosedWriteTimeout) : options.settle
        return change.lastEvent + wait
    }

    /// Compares the disk with the table for one path and emits what changed.
    private mutating func decide(_ path: RawPath, _ change: PendingChange, into signals: inout [SignalPayload]) {
        let previous = table[path]
        let current = InstanceState.read(at: path)
        switch (previous, current) {
        case (nil, let now?):
            if !change.preSaveSent {
                signals.append(makeSignal(.preSave, for: change, path: path, state: now, previous: nil))
            }
            signals.append(makeSignal(.postSave, for: change, path: path, state: now, previous: nil, created: true))
            table[path] = now
        case (let before?, let now?):
            guard now != before || change.preSaveSent else { return }
            if !change.preSaveSent {
                signals.append(makeSignal(.preSave, for: change, path: path, state: now, previous: before))
            }
            signals.append(makeSignal(.postSave, for: change, path: path, state: now, previous: before, created: false))
            table[path] = now
        case (let before?, nil):
            signals.append(makeSignal(.preDelete, for: change, path: path, state: before))
            signals.append(makeSignal(.postDelete, for: change, path: path, state: before))
            table[path] = nil
        case (nil, nil):
            // Created and removed within one settle window: nothing was ever saved.
            return
        }
    }

    private mutating func markPending(_ path: RawPath, location: Model.Location, sender: String, source: SignalSource, now: Instant) {
        if pending[path] == nil {
            pending[path] = PendingChange(location: location, sender: sender, source: source, lastEvent: now)
        } else {
            pending[path]!.lastEvent = now
        }
    }

    /// A folder was removed or moved away: every instance known beneath it must be looked at again.
    private mutating func markInstancesPending(under folder: RawPath, now: Instant) {
        for path in table.paths(under: folder) {
            guard let (model, location) = owner(of: path) else { continue }
            markPending(path, location: location, sender: model.name, source: .live, now: now)
        }
    }

    private func owner(of path: RawPath) -> (Model, Model.Location)? {
        for model in models {
            if let location = model.instance(at: path) { return (model, location) }
        }
        return nil
    }

    private mutating func makeSignal(
        _ signal: ModelSignal, for change: PendingChange, path: RawPath,
        state: InstanceState?, previous: InstanceState? = nil, created: Bool? = nil
    ) -> SignalPayload {
        defer { nextSeq += 1 }
        return SignalPayload(
            seq: nextSeq, time: .now(), signal: signal.rawValue, sender: change.sender,
            instance: change.location.instanceName, path: path, created: created, source: change.source,
            state: state, previous: previous
        )
    }
}
