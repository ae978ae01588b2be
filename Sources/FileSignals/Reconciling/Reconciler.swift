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
/// ``flushDue(now:)`` when ``nextDeadline`` has passed. It does no waiting of its own and reads the disk only
/// through its ``DiskProbe``, which is what makes it testable with any clock and a fake disk.
///
/// Its parts, by concept: events folded into pending changes and renames paired by cookie
/// (`Reconciler+Events`), scan passes (`Reconciler+Scans`), settling and decisions (`Reconciler+Decisions`).
public struct Reconciler: Sendable {
    public typealias Instant = ContinuousClock.Instant

    /// How to fold events into signals.
    public struct Options: Sendable, Hashable {
        /// The default ``settle``: 20 ms, as watchman waits.
        public static let defaultSettle = Duration.milliseconds(20)
        /// The default ``deleteSettle``.
        public static let defaultDeleteSettle = Duration.seconds(1)

        /// How long a path must stay quiet before its save is decided. A save that ended cleanly (its last
        /// event closed a write) waits half as long.
        public var settle: Duration
        /// How long an instance must stay gone before it is reported deleted: much longer than ``settle``,
        /// because a save by unlink and create, or by renaming the old file aside, leaves it missing for as
        /// long as the writer is kept from running between its two steps. A rename to another instance is
        /// not a disappearance, and waits only ``settle``.
        public var deleteSettle: Duration
        /// How long a file that was created or written but not yet closed must stay quiet before it is
        /// treated as saved anyway (a hard link, a writer that keeps its file open). Never below `settle`.
        public var unclosedWriteTimeout: Duration
        /// Whether files found by the first walk are reported (`--initial`) instead of being compared with
        /// the table.
        public var reportInitialFiles: Bool
        /// Which files' content is read for a digest.
        public var digests: DigestPolicy

        public init(
            settle: Duration = defaultSettle, deleteSettle: Duration = defaultDeleteSettle,
            unclosedWriteTimeout: Duration = .seconds(1), reportInitialFiles: Bool = false, digests: DigestPolicy = .standard
        ) {
            self.digests = digests
            self.settle = settle
            self.deleteSettle = deleteSettle
            self.unclosedWriteTimeout = unclosedWriteTimeout
            self.reportInitialFiles = reportInitialFiles
        }
    }

    /// A change to the instance table, for the state database to record with the signals that report it.
    public typealias TableChange = InstanceTableChange

    /// A path with events not yet decided.
    struct PendingChange: Sendable {
        var sender: String
        var instance: RawPath
        var source: SignalSource
        var lastEvent: Instant
        /// Created or written, and not yet closed.
        var isBeingWritten = false
        /// Its last event closed a write: the save is likely over, and is
        /// decided after half the settle window.
        var endedCleanly = false
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
    struct MoveSource: Sendable {
        var path: RawPath
        var isFolder: Bool
    }

    /// A walk of the disk in progress (catch-up at start, or the rescan after an overflow): every instance
    /// it finds is compared with the table, and when it ends, the table's instances it did not find are
    /// looked at again. The instances it finds are marked in the table (``InstanceTable/mark(_:)``).
    struct ScanPass: Sendable {
        var source: SignalSource
        /// A file the table lacks is learnt silently, not created: the table is what a first walk cut short
        /// had reached, so a file it lacks was not reached, not made since.
        var learnsNewFiles = false
        /// The files it learnt so, by inode: one of them may be an instance of the table renamed meanwhile.
        var learntByInode: [UInt64: RawPath] = [:]
        /// Folders the scan could not watch or list: instances below them were not looked for.
        var skipped: [RawPath] = []
    }

    /// What one pending path turned out to be when it was decided.
    enum Decision {
        case created(InstanceRecord)
        case updated(before: InstanceRecord, after: InstanceRecord)
        case deleted(InstanceRecord)
        case nothing
        /// The disk could not be looked at for now (out of descriptors): decided again a little later.
        case tryAgain
    }

    public let models: [Model]
    public let options: Options
    /// Where the disk is read: the real one, or a fake in a test.
    let probe: any DiskProbe
    /// How much longer the windows are while the machine is busy.
    var busy: BusyMachine
    public internal(set) var table: InstanceTable
    var pending: [RawPath: PendingChange] = [:]
    /// When each pending path is due; see ``DeadlineQueue``.
    var due = DeadlineQueue()
    /// Pending paths that came due during a scan but must wait for its end.
    var waitingForScan: [RawPath] = []
    var moveSources: [UInt32: MoveSource] = [:]
    /// Instances found gone and waiting for their delete window, by inode: a file that turns up elsewhere with
    /// the same inode was renamed there (``pairRenamesByInode(_:)``).
    var goneByInode: [UInt64: RawPath] = [:]
    var scan: ScanPass?
    var tableChanges: [TableChange] = []
    /// Whether ``takeTableChanges()`` is wanted (there is a state database to write them to).
    let keepsTableChanges: Bool
    /// Files of the first walk hashed on the spot: a small tree is fully known when watching starts; a large
    /// one is hashed in the background after this many, so that start-up stays fast.
    var hashesAtStart = 2000
    public internal(set) var nextSeq: Int64

    /// - Parameters:
    ///   - models: the models whose instances are tracked; a file belongs to the first model that includes it.
    ///   - table: what the state database knew when the bridge last ran; empty when there is no state.
    ///   - hasState: whether `table` comes from a state database whose first walk was completed. With state,
    ///     the first walk is a catch-up against it; without, existing files fill the table silently (or are
    ///     reported with `--initial`). A `table` without state is what a first walk cut short recorded: the
    ///     walk is a catch-up against what it holds, and the files it lacks fill it silently.
    ///   - firstSeq: the `seq` of the first signal.
    ///   - keepsTableChanges: whether to collect the table changes for ``takeTableChanges()``; without a
    ///     state database nobody takes them, and a large first walk would hold one per file.
    ///   - probe: how the disk is read.
    ///   - pressure: where the machine's starvation is read (``BusyMachine``); nil to go by late wake-ups only.
    public init(
        models: [Model], options: Options = Options(), table: InstanceTable = InstanceTable(), hasState: Bool = false,
        firstSeq: Int64 = 1, keepsTableChanges: Bool = true, probe: any DiskProbe = RealDisk(),
        pressure: (any PressureSource)? = KernelPressure()
    ) {
        self.probe = probe
        self.busy = BusyMachine(source: pressure)
        self.models = models
        self.keepsTableChanges = keepsTableChanges
        self.options = options
        self.table = table
        self.nextSeq = firstSeq
        if hasState || options.reportInitialFiles {
            startScan(source: options.reportInitialFiles ? .initial : .catchUp)
        } else if !table.isEmpty {
            // A first walk cut short (`kill -9`): what it recorded is caught up with, the rest learnt.
            startScan(source: .catchUp, learnsNewFiles: true)
        }
    }

    /// The earliest time at which ``flushDue(now:)`` has something to decide, or nil when nothing is pending.
    public var nextDeadline: Instant? { due.earliest }

    /// While a scan runs, its deletions cannot be told from files it has not reached yet: only live
    /// changes are decided until it ends.
    func isDecidable(_ change: PendingChange) -> Bool {
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
        table.takeUndigested(limit: limit, covered: options.digests)
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
        case .warning(.topFolderGone(let root)), .warning(.topFolderBack(let root)):
            // A top folder went or came back (removed, renamed, a file system unmounted or mounted over it):
            // what the table knows below it is looked at again.
            for path in table.paths(under: root) { markInstancePending(path, now: now) }
            return []
        case .warning:
            return []
        }
    }

    /// When a change is looked at: once it has been quiet for `settle` (half of it when it ended cleanly),
    /// stretched while the machine is busy. One still being written (created or modified, never closed) is
    /// decided then only if it arrived whole (``InstanceState/arrivedWhole(at:)``); otherwise it waits for
    /// `unclosedWriteTimeout` in ``flushDue(now:)``. One found gone waits for ``deletionDeadline(of:)``.
    func deadline(of change: PendingChange) -> Instant {
        // Not a rename's end: its two paths are decided together, the old one's delete first.
        let isCleanAndAlone = change.endedCleanly && change.movedTo == nil && change.movedFrom == nil
        let window = isCleanAndAlone ? options.settle / 2 : options.settle
        return change.lastEvent + busy.stretch(.save).apply(to: window)
    }

    /// When an instance found gone is reported deleted: once it has stayed gone for `deleteSettle`,
    /// stretched while the machine is busy.
    func deletionDeadline(of change: PendingChange) -> Instant {
        change.lastEvent + busy.stretch(.delete).apply(to: options.deleteSettle)
    }

    /// Notes that the caller's thread woke `late` after ``nextDeadline``: the machine is busy (``BusyMachine``).
    public mutating func noteLateWakeUp(by late: Duration, now: Instant) {
        busy.noteLateWakeUp(by: late, now: now)
    }

    mutating func setRecord(_ record: InstanceRecord, at path: RawPath) {
        table[path] = record
        if keepsTableChanges { tableChanges.append(.upsert(path, record)) }
    }

    mutating func markPending(_ path: RawPath, sender: String, instance: RawPath, source: SignalSource, now: Instant) {
        guard !restartSettling(path, now: now) else { return }
        startPending(path, sender: sender, instance: instance, source: source, now: now)
    }

    /// Makes `path`, not pending yet, pending from `now`.
    mutating func startPending(_ path: RawPath, sender: String, instance: RawPath, source: SignalSource, now: Instant) {
        let change = PendingChange(sender: sender, instance: instance, source: source, lastEvent: now)
        pending[path] = change
        due.push(deadline(of: change), path)
    }

    /// Starts the settle window of `path` again if it is pending; false when it is not.
    mutating func restartSettling(_ path: RawPath, now: Instant) -> Bool {
        guard let index = pending.index(forKey: path) else { return false }
        // A later deadline needs no new entry: the old one, when it comes out, is pushed back to it.
        pending.values[index].lastEvent = now
        pending.values[index].endedCleanly = false
        return true
    }

    /// Marks an instance of the table pending, whether or not a model still owns its path.
    mutating func markInstancePending(_ path: RawPath, now: Instant, source: SignalSource = .live) {
        guard let record = table[path] else { return }
        markPending(path, sender: record.sender, instance: record.instance, source: source, now: now)
    }

    func owner(of path: RawPath) -> (Model, Model.Location)? {
        for model in models {
            if let location = model.instance(at: path) { return (model, location) }
        }
        return nil
    }
}
