// SPDX-License-Identifier: GPL-2.0-or-later

/// Turns what the watcher reports into model signals, by comparing the disk with the instance table.
///
/// Raw events are never passed through one to one. An event only marks its path as *pending*; once the
/// path has stayed quiet for `settle`, the reconciler looks at the disk (`lstat` and a SHA-256 of the
/// content) and compares it with the instance table: a file that is there and was not is a save with
/// `created: true`, a file that changed is a save, a file that was there and is gone is a delete. So every
/// sequence of events on one path inside the settle window (an editor's rename dance, a temp file moved
/// into place) folds into at most one save or one delete, and an event seen twice (by inotify and by the
/// listing of a new folder) changes nothing.
///
/// Renames are paired by inotify's cookie, or, after a scan (catch-up or overflow), by inode: the old
/// instance gets `post_delete` with `moved_to`, the new one `post_save` with `moved_from`.
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
        /// Whether files found by the first walk are reported (`--initial`) instead of being compared with
        /// the table.
        public var reportInitialFiles: Bool

        public init(settle: Duration = .milliseconds(50), unclosedWriteTimeout: Duration = .seconds(1), reportInitialFiles: Bool = false) {
            self.settle = settle
            self.unclosedWriteTimeout = unclosedWriteTimeout
            self.reportInitialFiles = reportInitialFiles
        }
    }

    /// A change to the instance table, for the state database to record with the signals that report it.
    public enum TableChange: Sendable, Hashable {
        case upsert(RawPath, InstanceRecord)
        case remove(RawPath)
    }

    /// A path with events not yet decided.
    private struct PendingChange: Sendable {
        var sender: String
        var instance: RawPath
        var source: SignalSource
        var lastEvent: Instant
        /// Created or written, and not yet closed.
        var isBeingWritten = false
        /// `pre_save` already sent for this change (at the first write to an existing instance).
        var preSaveSent = false
        /// Report a save even when nothing changed against the table (`--initial`): `created` is still true
        /// only for an instance the table does not know.
        var reportsUnchanged = false
        /// The instance this path was renamed from, with that instance's record.
        var movedFrom: (path: RawPath, record: InstanceRecord)?
        /// The path this instance was renamed to.
        var movedTo: RawPath?
    }

    /// A `MOVED_FROM` waiting for its `MOVED_TO`.
    private struct MoveSource: Sendable {
        var path: RawPath
        var isFolder: Bool
    }

    /// A walk of the disk in progress (catch-up at start, or the rescan after an overflow): every instance
    /// it finds is compared with the table, and when it ends, the table's instances it did not find are
    /// looked at again. The instances it finds are marked in the table (``InstanceTable/mark(_:)``).
    private struct ScanPass: Sendable {
        var source: SignalSource
        /// Folders the scan could not watch or list: instances below them were not looked for.
        var skipped: [RawPath] = []
    }

    /// What one pending path turned out to be when it was decided.
    private enum Decision {
        case created(InstanceRecord)
        case updated(before: InstanceRecord, after: InstanceRecord)
        case deleted(InstanceRecord)
        case nothing
        /// The disk could not be looked at for now (out of descriptors): decided again a little later.
        case tryAgain
    }

    public let models: [Model]
    public let options: Options
    public private(set) var table: InstanceTable
    private var pending: [RawPath: PendingChange] = [:]
    /// When each pending path is due; see ``DeadlineQueue``.
    private var due = DeadlineQueue()
    /// Pending paths that came due during a scan but must wait for its end.
    private var waitingForScan: [RawPath] = []
    private var moveSources: [UInt32: MoveSource] = [:]
    private var scan: ScanPass?
    private var tableChanges: [TableChange] = []
    /// Whether ``takeTableChanges()`` is wanted (there is a state database to write them to).
    private let keepsTableChanges: Bool
    /// Files of the first walk hashed on the spot: a small tree is fully known when watching starts; a large
    /// one is hashed in the background after this many, so that start-up stays fast.
    private var hashesAtStart = 2000
    public private(set) var nextSeq: Int64

    /// - Parameters:
    ///   - models: the models whose instances are tracked; a file belongs to the first model that includes it.
    ///   - table: what the state database knew when the bridge last ran; empty when there is no state.
    ///   - hasState: whether `table` comes from a state database. With state, the first walk is a catch-up
    ///     against it; without, existing files fill the table silently (or are reported with `--initial`).
    ///   - firstSeq: the `seq` of the first signal.
    ///   - keepsTableChanges: whether to collect the table changes for ``takeTableChanges()``; without a
    ///     state database nobody takes them, and a large first walk would hold one per file.
    public init(
        models: [Model], options: Options = Options(), table: InstanceTable = InstanceTable(), hasState: Bool = false,
        firstSeq: Int64 = 1, keepsTableChanges: Bool = true
    ) {
        self.models = models
        self.keepsTableChanges = keepsTableChanges
        self.options = options
        self.table = table
        self.nextSeq = firstSeq
        if hasState || options.reportInitialFiles {
            startScan(source: options.reportInitialFiles ? .initial : .catchUp)
        }
    }

    /// The earliest time at which ``flushDue(now:)`` has something to decide, or nil when nothing is pending.
    public var nextDeadline: Instant? { due.earliest }

    /// While a scan runs, its deletions cannot be told from files it has not reached yet: only live
    /// changes are decided until it ends.
    private func isDecidable(_ change: PendingChange) -> Bool {
        scan == nil || change.source == .live
    }

    /// How many paths are waiting to be decided.
    public var pendingCount: Int { pending.count }

    /// Whether no path is waiting to be decided.
    public var isSettled: Bool { pending.isEmpty && scan == nil }

    /// The table changes made since the last call, in order, for the state database.
    public mutating func takeTableChanges() -> [TableChange] {
        defer { tableChanges.removeAll(keepingCapacity: true) }
        return tableChanges
    }

    /// Up to `limit` instances in the table without a content hash, not given before; hash them off the
    /// event path and give the results to ``recordHash(_:for:state:)``.
    public mutating func takeUnhashed(limit: Int) -> [RawPath] {
        table.takeUndigested(limit: limit)
    }

    /// Records a hash computed off the event path, if the instance has not changed since it was read.
    public mutating func recordHash(_ sha256: [UInt8], for path: RawPath, state: InstanceState) {
        guard table.recordDigest(sha256, for: path, ifStateIs: state), keepsTableChanges, let record = table[path] else { return }
        tableChanges.append(.upsert(path, record))
    }

    /// Takes one event from the watcher into account.
    ///
    /// - Returns: signals to send right away: a `pre_save` at the first write to an existing instance.
    public mutating func handle(_ event: WatcherEvent, now: Instant) -> [SignalPayload] {
        switch event {
        case .found(let path, let reason, let state):
            found(path, reason: reason, listed: state, now: now)
            return []
        case .changed(let path, let mask, let cookie):
            return changed(path, mask: mask, cookie: cookie, now: now)
        case .overflow:
            // The watcher follows an overflow with a rescan of every folder.
            startScan(source: .rescan)
            return []
        case .ready, .rescanFinished:
            finishScan(now: now)
            return []
        case .skipped(let folder):
            scan?.skipped.append(folder)
            return []
        case .warning:
            return []
        }
    }

    /// - Parameter listed: the file's state as its folder's listing read it, if it did.
    private mutating func found(_ path: RawPath, reason: WatcherEvent.ScanReason, listed: InstanceState?, now: Instant) {
        guard let (model, location) = owner(of: path) else { return }
        switch reason {
        case .newFolder:
            markPending(path, sender: model.name, instance: location.instanceName, source: .live, now: now)
        case .initialWalk, .rescan:
            guard let pass = scan else {
                // No saved state: the files that exist at start-up become the table silently.
                if !table.contains(path), let state = listed ?? InstanceState.read(at: path) {
                    var record = InstanceRecord(sender: model.name, instance: location.instanceName, state: state)
                    if hashesAtStart > 0 {
                        hashesAtStart -= 1
                        record.sha256 = ContentHash.sha256(of: path, expectedSize: state.size)
                    }
                    setRecord(record, at: path)
                }
                return
            }
            table.mark(path)
            if pass.source == .initial {
                markPending(path, sender: model.name, instance: location.instanceName, source: .initial, now: now)
                pending[path]!.reportsUnchanged = true
            } else if table.state(at: path) != (listed ?? InstanceState.read(at: path)) || table.sender(at: path) != model.name {
                markPending(path, sender: model.name, instance: location.instanceName, source: pass.source, now: now)
            }
        }
    }

    private mutating func changed(_ path: RawPath, mask: InotifyMask, cookie: UInt32, now: Instant) -> [SignalPayload] {
        if mask.contains(.isDirectory) || mask.contains(.deleteSelf) || mask.contains(.moveSelf) {
            folderChanged(path, mask: mask, cookie: cookie, now: now)
            return []
        }
        if mask.contains(.movedFrom), table.contains(path) {
            moveSources[cookie] = MoveSource(path: path, isFolder: false)
        }
        // A path already pending keeps its owner: the patterns are matched once per change, not per event.
        if !restartSettling(path, now: now) {
            guard let (model, location) = owner(of: path) else {
                if mask.contains(.movedTo) { moveSources[cookie] = nil }
                return []
            }
            startPending(path, sender: model.name, instance: location.instanceName, source: .live, now: now)
        }
        if mask.contains(.movedTo), let source = moveSources.removeValue(forKey: cookie), !source.isFolder {
            link(from: source.path, to: path, now: now)
        }
        // One access to the pending change for the flags below: each `pending[path]!` is a hash lookup.
        let (nowQuiet, preSaveSent) = Self.noteWriting(mask, of: &pending[path]!)
        if let change = nowQuiet { due.push(deadline(of: change), path) }
        let isWrite = !mask.isDisjoint(with: [.create, .modify, .attrib])
        guard isWrite, !preSaveSent, let known = table.state(at: path) else { return [] }
        // An event read late (the reader was busy) about a change already decided changes nothing.
        // Nothing there (an event from a folder that moved away, read before its watch went): no save.
        guard let state = InstanceState.read(at: path), state != known, let previous = table[path] else { return [] }
        // The earliest moment a save of an existing instance can be seen: tell pre_save receivers now.
        pending[path]!.preSaveSent = true
        var signal = makeSignal(.preSave, path: path, pending[path]!, state: state)
        signal.previous = previous.state
        signal.previousSHA256 = previous.sha256
        return [signal]
    }

    /// Notes whether the file is being written after an event with `mask`. Returns the change when it has just
    /// been closed (its deadline is nearer now), and whether its `pre_save` was sent.
    private static func noteWriting(_ mask: InotifyMask, of change: inout PendingChange) -> (closed: PendingChange?, preSaveSent: Bool) {
        let wasBeingWritten = change.isBeingWritten
        if mask.contains(.create) || mask.contains(.modify) { change.isBeingWritten = true }
        if mask.contains(.closeWrite) || mask.contains(.delete) || mask.contains(.movedFrom) || mask.contains(.movedTo) {
            change.isBeingWritten = false
        }
        return (wasBeingWritten && !change.isBeingWritten ? change : nil, change.preSaveSent)
    }

    /// A folder was created, removed or renamed. Its instances are looked at again; a rename within the
    /// tree carries each instance to its new path.
    private mutating func folderChanged(_ path: RawPath, mask: InotifyMask, cookie: UInt32, now: Instant) {
        if mask.contains(.movedFrom) {
            moveSources[cookie] = MoveSource(path: path, isFolder: true)
        }
        if mask.contains(.movedTo), let source = moveSources.removeValue(forKey: cookie), source.isFolder {
            for old in table.paths(under: source.path) {
                guard let rest = old.relative(to: source.path) else { continue }
                let new = path.appending(rest)
                if let (model, location) = owner(of: new) {
                    markPending(new, sender: model.name, instance: location.instanceName, source: .live, now: now)
                    link(from: old, to: new, now: now)
                } else {
                    markInstancePending(old, now: now)
                }
            }
        }
        if !mask.isDisjoint(with: [.delete, .movedFrom, .deleteSelf, .moveSelf]) {
            for instance in table.paths(under: path) { markInstancePending(instance, now: now) }
            if mask.contains(.deleteSelf) || mask.contains(.moveSelf), table.contains(path) { markInstancePending(path, now: now) }
        }
    }

    /// Records that the instance at `old` was renamed to `new` (both pending).
    private mutating func link(from old: RawPath, to new: RawPath, now: Instant) {
        guard let record = table[old] else { return }
        markInstancePending(old, now: now)
        pending[old]?.movedTo = new
        pending[new]?.movedFrom = (old, record)
    }

    private mutating func startScan(source: SignalSource) {
        table.clearMarks()
        scan = ScanPass(source: source)
    }

    /// Ends a scan: instances of the table the scan did not find are looked at again (they are gone, or
    /// were moved while nobody watched).
    private mutating func finishScan(now: Instant) {
        guard let pass = scan else { return }
        scan = nil
        for path in waitingForScan {
            if let change = pending[path] { due.push(deadline(of: change), path) }
        }
        waitingForScan.removeAll()
        let unseen = table.unmarkedPaths()
        table.clearMarks()
        for path in unseen where pending[path] == nil {
            // Not seen because its folder could not be read: unknown, not gone.
            if pass.skipped.contains(where: { path.relative(to: $0) != nil }) { continue }
            markInstancePending(path, now: now, source: pass.source == .initial ? .catchUp : pass.source)
        }
    }

    /// Decides every pending path whose settle window has passed.
    ///
    /// - Returns: the signals, in the order the paths became quiet; for a rename, the old instance's delete
    ///   before the new one's save.
    public mutating func flushDue(now: Instant) -> [SignalPayload] {
        var ready: [(path: RawPath, change: PendingChange)] = []
        while let path = due.popDue(at: now) {
            // Decided already (a second entry of a path taken in this flush, say): stale.
            guard let index = pending.index(forKey: path) else { continue }
            let change = pending.values[index]
            let current = deadline(of: change)
            if current > now {
                due.push(current, path)   // it changed since: due later
                continue
            }
            if change.isBeingWritten, now < change.lastEvent + options.unclosedWriteTimeout, !InstanceState.arrivedWhole(at: path) {
                // Created or written and never closed: a writer may still hold it open.
                due.push(change.lastEvent + options.unclosedWriteTimeout, path)
                continue
            }
            guard isDecidable(change) else {
                // Its second entry, if any, lands here too: harmless, the scan's end pushes each once more.
                waitingForScan.append(path)
                continue
            }
            pending.remove(at: index)
            ready.append((path, change))
        }
        guard !ready.isEmpty else {
            if pending.isEmpty { moveSources.removeAll() }
            return []
        }
        // In the order the paths became quiet; paths quiet since the same moment, by name. Indices are
        // sorted, not the changes themselves, which are large to move.
        let quietSince = ready.map(\.change.lastEvent), paths = ready.map(\.path)
        let order = ready.indices.sorted { a, b in
            quietSince[a] != quietSince[b] ? quietSince[a] < quietSince[b] : paths[a] < paths[b]
        }
        // A MOVED_FROM whose MOVED_TO never came (moved out of the tree) is forgotten once all is settled.
        defer { if pending.isEmpty { moveSources.removeAll() } }
        var decisions: [(path: RawPath, change: PendingChange, decision: Decision)] = []
        decisions.reserveCapacity(order.count)
        for index in order {
            let (path, change) = ready[index]
            let decision = decide(path, change)
            if case .tryAgain = decision {
                // Never a delete, nor a save lost, because the process was out of descriptors for a moment.
                pending[path] = change
                due.push(now + max(options.settle, .milliseconds(10)), path)
                continue
            }
            decisions.append((path, change, decision))
        }
        pairRenamesByInode(&decisions)
        // A rename's delete goes out before its save, wherever the two paths fell in the order.
        let deletesFirst = decisions.filter { if case .deleted = $0.decision { $0.change.movedTo != nil } else { false } }
        let others = decisions.filter { if case .deleted = $0.decision { $0.change.movedTo == nil } else { true } }
        var signals: [SignalPayload] = []
        for (path, change, decision) in deletesFirst + others {
            emit(decision, path: path, change: change, into: &signals)
        }
        return signals
    }

    /// When a change is looked at: once it has been quiet for `settle`. One still being written (created or
    /// modified, never closed) is decided then only if it arrived whole (``InstanceState/arrivedWhole(at:)``);
    /// otherwise it waits for `unclosedWriteTimeout` in ``flushDue(now:)``.
    private func deadline(of change: PendingChange) -> Instant {
        change.lastEvent + options.settle
    }


    /// Compares the disk with the table for one path.
    private func decide(_ path: RawPath, _ change: PendingChange) -> Decision {
        let before = table[path]
        let state: InstanceState
        switch InstanceState.look(at: path) {
        case .present(let found): state = found
        case .unknown: return .tryAgain
        case .absent:
            if let before = table[path] { return .deleted(before) }
            // Created and removed within one settle window: nothing was ever saved.
            return .nothing
        }
        var after = InstanceRecord(sender: change.sender, instance: change.instance, state: state)
        guard let before else {
            after.sha256 = ContentHash.sha256(of: path, expectedSize: state.size)
            return .created(after)
        }
        // Same lstat: the content is taken to be the same, and the known hash is kept.
        if state == before.state && before.sender == change.sender {
            return change.preSaveSent || change.movedFrom != nil || change.reportsUnchanged ? .updated(before: before, after: before) : .nothing
        }
        after.sha256 = ContentHash.sha256(of: path, expectedSize: state.size)
        return .updated(before: before, after: after)
    }

    /// Pairs a delete and a create of the same inode in one batch that inotify did not pair (a rename seen
    /// only by a scan, at catch-up or after an overflow).
    private func pairRenamesByInode(_ decisions: inout [(path: RawPath, change: PendingChange, decision: Decision)]) {
        var deletedByInode: [UInt64: Int] = [:]
        for (index, item) in decisions.enumerated() {
            if case .deleted(let record) = item.decision, item.change.movedTo == nil, item.change.source != .live {
                deletedByInode[record.state.inode] = index
            }
        }
        guard !deletedByInode.isEmpty else { return }
        for index in decisions.indices {
            guard case .created(let record) = decisions[index].decision, decisions[index].change.movedFrom == nil,
                  decisions[index].change.source != .live,
                  let deletedIndex = deletedByInode.removeValue(forKey: record.state.inode),
                  case .deleted(let old) = decisions[deletedIndex].decision,
                  old.state.size == record.state.size else { continue }
            decisions[deletedIndex].change.movedTo = decisions[index].path
            decisions[index].change.movedFrom = (decisions[deletedIndex].path, old)
        }
    }

    private mutating func emit(_ decision: Decision, path: RawPath, change: PendingChange, into signals: inout [SignalPayload]) {
        let movedFrom = change.movedFrom.flatMap { source -> RawPath? in
            // Only a rename that really brought this file here: the same inode.
            guard let state = InstanceState.read(at: path), state.inode == source.record.state.inode else { return nil }
            return source.record.instance
        }
        switch decision {
        case .nothing, .tryAgain:
            return
        case .created(let record):
            if !change.preSaveSent { signals.append(makeSignal(.preSave, path: path, change, state: record.state, sha256: record.sha256)) }
            var save = makeSignal(.postSave, path: path, change, state: record.state, sha256: record.sha256)
            save.created = true
            save.changes = .all
            save.movedFrom = movedFrom
            signals.append(save)
            setRecord(record, at: path)
        case .updated(let before, let after):
            if !change.preSaveSent {
                var preSave = makeSignal(.preSave, path: path, change, state: after.state, sha256: after.sha256)
                preSave.previous = before.state
                preSave.previousSHA256 = before.sha256
                signals.append(preSave)
            }
            var save = makeSignal(.postSave, path: path, change, state: after.state, sha256: after.sha256)
            save.created = false
            save.changes = after == before ? [] : after.changes(since: before)
            save.previous = before.state
            save.previousSHA256 = before.sha256
            save.movedFrom = movedFrom
            signals.append(save)
            setRecord(after, at: path)
        case .deleted(let record):
            let movedTo = change.movedTo.flatMap { target -> RawPath? in
                guard let state = InstanceState.read(at: target), state.inode == record.state.inode else { return nil }
                return owner(of: target)?.1.instanceName
            }
            var change = change
            change.sender = record.sender
            change.instance = record.instance
            signals.append(makeSignal(.preDelete, path: path, change, state: record.state, sha256: record.sha256))
            var delete = makeSignal(.postDelete, path: path, change, state: record.state, sha256: record.sha256)
            delete.movedTo = movedTo
            signals.append(delete)
            table[path] = nil
            if keepsTableChanges { tableChanges.append(.remove(path)) }
        }
    }

    private mutating func setRecord(_ record: InstanceRecord, at path: RawPath) {
        table[path] = record
        if keepsTableChanges { tableChanges.append(.upsert(path, record)) }
    }

    private mutating func markPending(_ path: RawPath, sender: String, instance: RawPath, source: SignalSource, now: Instant) {
        guard !restartSettling(path, now: now) else { return }
        startPending(path, sender: sender, instance: instance, source: source, now: now)
    }

    /// Makes `path`, not pending yet, pending from `now`.
    private mutating func startPending(_ path: RawPath, sender: String, instance: RawPath, source: SignalSource, now: Instant) {
        let change = PendingChange(sender: sender, instance: instance, source: source, lastEvent: now)
        pending[path] = change
        due.push(deadline(of: change), path)
    }

    /// Starts the settle window of `path` again if it is pending; false when it is not.
    private mutating func restartSettling(_ path: RawPath, now: Instant) -> Bool {
        guard let index = pending.index(forKey: path) else { return false }
        // A later deadline needs no new entry: the old one, when it comes out, is pushed back to it.
        pending.values[index].lastEvent = now
        return true
    }

    /// Marks an instance of the table pending, whether or not a model still owns its path.
    private mutating func markInstancePending(_ path: RawPath, now: Instant, source: SignalSource = .live) {
        guard let record = table[path] else { return }
        markPending(path, sender: record.sender, instance: record.instance, source: source, now: now)
    }

    private func owner(of path: RawPath) -> (Model, Model.Location)? {
        for model in models {
            if let location = model.instance(at: path) { return (model, location) }
        }
        return nil
    }

    private mutating func makeSignal(
        _ signal: ModelSignal, path: RawPath, _ change: PendingChange, state: InstanceState?, sha256: [UInt8]? = nil
    ) -> SignalPayload {
        defer { nextSeq += 1 }
        var payload = SignalPayload(
            seq: nextSeq, time: .now(), signal: signal.rawValue, sender: change.sender,
            instance: change.instance, path: path, source: change.source, state: state)
        payload.sha256 = sha256
        return payload
    }
}
