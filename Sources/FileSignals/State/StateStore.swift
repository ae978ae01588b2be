// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import GRDB
import Glibc

/// The state database: the instance table, the `seq` counter and the journal of signals, in SQLite (WAL
/// mode) through GRDB.
///
/// The journal is a transactional outbox: ``record(_:)`` writes a batch of signals together with the
/// table changes they report and one delivery per receiver each reaches, in one transaction, before any of
/// them is printed or dispatched; as each receiver finishes, ``markDone(_:)`` says so. After a crash, each
/// delivery not marked done is made again, to its own receiver.
///
/// One bridge at a time uses a database: an exclusive `flock` on the database file itself, held while the
/// store lives, keeps a second watcher from sharing it, whatever path (a symbolic link to its folder, a hard
/// link) it was given. `PATH.lock` holds the pid of the watcher that has it, for the message a second one gets.
///
/// The bridge often runs as root over folders others can write into, so its own files are made with care:
/// the state folder must be a real folder of the bridge's user that nobody else can write; the database and
/// its lock file are created `0600` with `O_NOFOLLOW`, and must be regular files of that user.
public final class StateStore: Sendable {
    /// Where the database is.
    public let path: String
    let database: DatabaseQueue
    private let lockDescriptor: Int32
    /// Batches ``recordInBackground(_:failed:)`` may have waiting at once: bounds what a fast walk holds.
    private let backgroundSlots = DispatchSemaphore(value: 2)

    /// What a batch writes.
    public struct Batch: Sendable {
        /// Each signal with the deliveries it makes. `done` counts receivers only (none: done at once); a
        /// printed line is told by the `printed_through` watermark.
        public var signals: [(seq: Int64, signal: String, sender: String, line: [UInt8], deliveries: [String])] = []
        public var tableChanges: [InstanceTableChange] = []
        public var nextSeq: Int64
        /// Deliveries finished since the last batch.
        public var done: [Delivery] = []
        /// This batch ends the first walk of a new state: from now on the table holds every instance, and
        /// a later start compares the disk with it (catch-up).
        public var completesFirstWalk = false

        public init(nextSeq: Int64) { self.nextSeq = nextSeq }
    }

    /// What the database held when it was opened.
    public struct Contents: Sendable {
        public var table: InstanceTable
        public var nextSeq: Int64
        /// Signals recorded with deliveries never marked done: the bridge stopped (crashed) before making them.
        public var unfinished: [JournalEntry]
        /// Whether a first walk was ever completed and recorded: only then is the table a whole picture of
        /// the disk to compare with. A first run stopped in the middle of its walk leaves a partial table:
        /// what it holds is compared with the disk, but a file it lacks is not new, only not reached.
        public var hasState: Bool

        /// The table, leaving an empty one here: whoever changes it must hold it alone, or its first change
        /// copies the whole of it (a second start on 100,000 instances held both copies, 13 MB more).
        public mutating func takeTable() -> InstanceTable {
            defer { table = InstanceTable() }
            return table
        }
    }

    /// Opens (creating when needed) the database at `path` and takes its lock.
    ///
    /// - Parameter readOnly: open for reading only, without the lock (`filesignals log`); call
    ///   ``closeCleanly()`` when done.
    /// - Throws: ``StateError``.
    public init(path: String, readOnly: Bool = false) throws(StateError) {
        self.path = path
        if readOnly {
            lockDescriptor = -1
        } else {
            try Self.makeFolder(containing: path)
            lockDescriptor = try Self.lock(path)
        }
        // From here on, a failure lets the lock go.
        var configuration = GRDB.Configuration()
        // A reader that may write the file opens it for writing all the same (it writes nothing): a read-only
        // connection can neither remove the log files its open made nor fold them in, and would leave them.
        configuration.readonly = readOnly && access(path, W_OK) != 0
        configuration.journalMode = readOnly ? .default : .wal
        configuration.busyMode = .timeout(5)
        configuration.label = "filesignals-state"
        do {
            if readOnly && access(path, R_OK) != 0 {
                throw StateError.missing(path: path)
            }
            database = try DatabaseQueue(path: path, configuration: configuration)
            if !readOnly {
                try database.read { db in
                    if try Self.migrator.hasBeenSuperseded(db) { throw StateError.newerSchema(path: path) }
                }
                try Self.migrator.migrate(database)
            } else {
                try database.read { db in _ = try Row.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") }
            }
        } catch let error as StateError {
            if lockDescriptor >= 0 { close(lockDescriptor) }
            throw error
        } catch {
            if lockDescriptor >= 0 { close(lockDescriptor) }
            throw Self.stateError(error, path: path)
        }
    }

    /// Closes the database when the bridge stops cleanly: its write-ahead log is folded into it, and SQLite
    /// removes the log and its shared-memory index as the last connection closes; the lock file goes too. A
    /// clean exit leaves the database alone in its folder (a crash leaves the log, which the next open uses).
    public func closeCleanly() {
        if lockDescriptor >= 0 { _ = try? database.writeWithoutTransaction { db in try db.checkpoint(.truncate) } }
        try? database.close()
        if lockDescriptor >= 0 { unlink(Self.lockFile(of: path)) }
    }

    deinit {
        // Closing releases the flock. (It would also drop SQLite's own POSIX locks on the file, which is why
        // this descriptor stays open as long as the database does.)
        if lockDescriptor >= 0 { close(lockDescriptor) }
    }

    /// The schema, one migration per change, so that a database from any earlier version is brought up to date.
    private static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE instance (
                    path BLOB PRIMARY KEY NOT NULL,
                    sender TEXT NOT NULL,
                    instance BLOB NOT NULL,
                    inode INTEGER NOT NULL,
                    size INTEGER NOT NULL,
                    mode INTEGER NOT NULL,
                    owner INTEGER NOT NULL,
                    mtime_ns INTEGER NOT NULL,
                    sha256 BLOB
                ) WITHOUT ROWID;
                CREATE TABLE journal (
                    seq INTEGER PRIMARY KEY NOT NULL,
                    signal TEXT NOT NULL,
                    sender TEXT NOT NULL,
                    line BLOB NOT NULL,
                    done INTEGER NOT NULL DEFAULT 0,
                    recorded_ns INTEGER NOT NULL
                );
                CREATE INDEX journal_unfinished ON journal(seq) WHERE done = 0;
                CREATE TABLE counter (name TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL);
                INSERT INTO counter VALUES ('next_seq', 1);
                """)
        }
        migrator.registerMigration("v2: first walk recorded") { db in
            // Databases of v1 were only written from a whole walk on, or with signals.
            try db.execute(sql: """
                INSERT INTO counter SELECT 'first_walk_done', 1
                WHERE (SELECT value FROM counter WHERE name = 'next_seq') > 1 OR EXISTS (SELECT 1 FROM instance)
                """)
        }
        migrator.registerMigration("v3: deliveries") { db in
            // One row per (signal, receiver); the delivery of the line to a `--json` reader, which nearly every
            // signal has, is a column of the signal's own row (0 none, 1 pending, 2 done), so that it costs no
            // row of its own. A journal row is done once none of its deliveries is pending.
            try db.execute(sql: """
                CREATE TABLE delivery (
                    seq INTEGER NOT NULL,
                    receiver TEXT NOT NULL,
                    state TEXT NOT NULL,
                    PRIMARY KEY (seq, receiver)
                );
                ALTER TABLE journal ADD COLUMN stdout INTEGER NOT NULL DEFAULT 0;
                """)
        }
        migrator.registerMigration("v4: about") { db in
            // What the database belongs to, for `filesignals state`: the folders and patterns of a watch started
            // from the command line, whose database lives under a name made of their digest.
            try db.execute(sql: "CREATE TABLE about (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)")
        }
        migrator.registerMigration("v5: outbox of url receivers") { db in
            // A `url` receiver's deliver reads its pending deliveries in seq order, and notes why a dead one died.
            try db.execute(sql: """
                CREATE INDEX delivery_pending ON delivery(receiver, seq) WHERE state = 'pending';
                ALTER TABLE delivery ADD COLUMN detail TEXT;
                """)
        }
        migrator.registerMigration("v6: printed lines by watermark") { db in
            // Lines are printed in seq order, so one number says which are out (``printedThrough``), instead of
            // a second write of every row of the journal: `stdout = 1` rows up to it are printed, and `done`
            // leaves the printed line aside. Rows waiting for their line (all of them above the smallest such
            // seq: a run that prints gives those first) keep waiting.
            try db.execute(sql: """
                INSERT INTO counter SELECT 'printed_through', coalesce(
                    (SELECT min(seq) FROM journal WHERE stdout = 1), (SELECT value FROM counter WHERE name = 'next_seq')) - 1;
                UPDATE journal SET done = NOT EXISTS (SELECT 1 FROM delivery WHERE delivery.seq = journal.seq AND state = 'pending')
                WHERE done = 0;
                """)
        }
        return migrator
    }()

    /// Records what the database belongs to (the folders and patterns watched), for `filesignals state`.
    public func describe(as text: String) throws(StateError) {
        do {
            try database.write { db in try db.execute(sql: "INSERT OR REPLACE INTO about VALUES ('watches', ?)", arguments: [text]) }
        } catch {
            throw Self.stateError(error, path: path)
        }
    }

    /// What ``describe(as:)`` recorded, or nil.
    public func description() throws(StateError) -> String? {
        do {
            return try database.read { db in
                guard try db.tableExists("about") else { return nil }
                return try String.fetchOne(db, sql: "SELECT value FROM about WHERE key = 'watches'")
            }
        } catch {
            throw Self.stateError(error, path: path)
        }
    }

    /// Reads the instance table, the next `seq` and the unfinished signals.
    public func load() throws(StateError) -> Contents {
        do {
            return try database.read { db in
                var table = InstanceTable()
                let rows = try db.makeStatement(sql: "SELECT path, sender, instance, inode, size, mode, owner, mtime_ns, sha256 FROM instance")
                try rows.forEachRawRow { row in
                    let state = InstanceState(
                        inode: UInt64(bitPattern: row.integer(3)), size: row.integer(4), mode: UInt32(truncatingIfNeeded: row.integer(5)),
                        owner: UInt32(truncatingIfNeeded: row.integer(6)), mtimeNanoseconds: row.integer(7))
                    table[RawPath(bytes: row.bytes(0) ?? [])] = InstanceRecord(
                        sender: row.text(1), instance: RawPath(bytes: row.bytes(2) ?? []), state: state, sha256: row.bytes(8))
                }
                let nextSeq = try Int64.fetchOne(db, sql: "SELECT value FROM counter WHERE name = 'next_seq'") ?? 1
                // Room for more signals than any bridge will send: a counter beyond it was not written by us.
                guard (1...Int64.max / 2).contains(nextSeq) else {
                    throw StateError.corrupt(path: path, reason: "its seq counter, \(nextSeq), is out of range")
                }
                let unfinished = try Self.entries(db, sql: "SELECT \(Self.entryColumns) FROM journal WHERE \(Self.isUnfinished) ORDER BY seq", arguments: [])
                let walked = try Int64.fetchOne(db, sql: "SELECT value FROM counter WHERE name = 'first_walk_done'") != nil
                return Contents(table: table, nextSeq: nextSeq, unfinished: unfinished, hasState: walked)
            }
        } catch {
            throw Self.stateError(error, path: path)
        }
    }

    /// Writes a batch in one transaction: signals into the journal (not done), table changes, the next `seq`,
    /// and the done marks of earlier signals.
    public func record(_ batch: Batch) throws(StateError) {
        try checkNotDeleted()
        do {
            try database.write { db in try Self.write(batch, db) }
        } catch {
            throw Self.stateError(error, path: path)
        }
    }

    /// ``record(_:)`` on the database's own queue, for a first walk's table: the walk goes on meanwhile, and
    /// any write after it (``record(_:)`` too) waits its turn, so one that says the walk is complete comes
    /// after every row of it. Returns once fewer than two such batches wait (what a fast walk holds is
    /// bounded); `failed` is called, on the database's queue, for each one refused.
    func recordInBackground(_ batch: Batch, failed: @escaping @Sendable (StateError) -> Void) {
        backgroundSlots.wait()
        do throws(StateError) {
            try checkNotDeleted()
        } catch {
            backgroundSlots.signal()
            failed(error)
            return
        }
        database.asyncWrite({ db in try Self.write(batch, db) }) { [path, backgroundSlots] _, result in
            backgroundSlots.signal()
            if case .failure(let error) = result { failed(Self.stateError(error, path: path)) }
        }
    }

    /// Returns once every batch given to ``recordInBackground(_:failed:)`` is written or refused.
    func waitForBackgroundWrites() {
        database.writeWithoutTransaction { _ in }
    }

    /// SQLite writes on into a file that has no name any more: say so rather than keep nothing in silence.
    private func checkNotDeleted() throws(StateError) {
        var info = stat()
        if lockDescriptor >= 0, fstat(lockDescriptor, &info) == 0, info.st_nlink == 0 { throw .deleted(path: path) }
    }

    /// The body of ``record(_:)``, in the transaction `db`.
    private static func write(_ batch: Batch, _ db: Database) throws {
        let now = Timestamp.now().nanosecondsSinceEpoch
        let insertSignal = try db.cachedStatement(
            sql: "INSERT OR REPLACE INTO journal (seq, signal, sender, line, done, recorded_ns, stdout) VALUES (?, ?, ?, ?, ?, ?, ?)")
        let insertDelivery = try db.cachedStatement(sql: "INSERT OR REPLACE INTO delivery (seq, receiver, state) VALUES (?, ?, 'pending')")
        for signal in batch.signals {
            let printed = signal.deliveries.contains(Delivery.standardOutput)
            // `done` leaves the printed line aside: ``printedThrough`` tells when it is out.
            let toReceivers = signal.deliveries.count - (printed ? 1 : 0)
            try insertSignal.run(
                .integer(signal.seq), .text(signal.signal), .text(signal.sender), .blob(signal.line),
                .integer(toReceivers == 0 ? 1 : 0), .integer(now), .integer(printed ? 1 : 0))
            for receiver in signal.deliveries where receiver != Delivery.standardOutput {
                try insertDelivery.run(.integer(signal.seq), .text(receiver))
            }
        }
        // Prepared once per connection: parsing the SQL again for each row cost more than the row.
        let upsertInstance = try db.cachedStatement(sql: "INSERT OR REPLACE INTO instance VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
        let removeInstance = try db.cachedStatement(sql: "DELETE FROM instance WHERE path = ?")
        for change in batch.tableChanges {
            switch change {
            case .upsert(let path, let record):
                try upsertInstance.run(
                    .blob(path.bytes), .text(record.sender), .blob(record.instance.bytes),
                    .integer(Int64(bitPattern: record.state.inode)), .integer(record.state.size), .integer(Int64(record.state.mode)),
                    .integer(Int64(record.state.owner)), .integer(record.state.mtimeNanoseconds), record.sha256.map { .blob($0) } ?? .null)
            case .remove(let path):
                try removeInstance.run(.blob(path.bytes))
            }
        }
        try Self.markDone(batch.done, db)
        try db.cachedStatement(sql: "UPDATE counter SET value = ? WHERE name = 'next_seq'").execute(arguments: [batch.nextSeq])
        if batch.completesFirstWalk {
            try db.execute(sql: "INSERT OR REPLACE INTO counter VALUES ('first_walk_done', 1)")
        }
    }

    static func stateError(_ error: any Error, path: String) -> StateError {
        if let error = error as? StateError { return error }
        if let error = error as? DatabaseError {
            switch error.resultCode {
            case .SQLITE_NOTADB, .SQLITE_CORRUPT:
                return .corrupt(path: path, reason: error.message ?? "not a database")
            case .SQLITE_ERROR where (error.message ?? "").hasPrefix("no such"):
                // A table or column of the schema is missing: the file was changed by something else.
                return .corrupt(path: path, reason: error.message ?? "a table is missing")
            default:
                return .unavailable(path: path, reason: error.message ?? "\(error.resultCode)")
            }
        }
        return .unavailable(path: path, reason: "\(error)")
    }
}
