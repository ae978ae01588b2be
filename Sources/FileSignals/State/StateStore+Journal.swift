// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import GRDB

/// The journal's reads, its done marks and its pruning.
extension StateStore {
    /// Marks deliveries finished with, each in its ``Delivery/state`` (`done` or `dropped`).
    public func markDone(_ deliveries: [Delivery]) throws(StateError) {
        guard !deliveries.isEmpty else { return }
        do {
            try database.write { db in try Self.markDone(deliveries, db) }
        } catch {
            throw Self.stateError(error, path: path)
        }
    }

    /// Marks signals done that have no delivery left to make (recorded before deliveries were kept, and reaching
    /// no receiver today).
    public func markDone(signals seqs: [Int64]) throws(StateError) {
        guard !seqs.isEmpty else { return }
        do {
            try database.write { db in
                let finish = try db.cachedStatement(sql: "UPDATE journal SET done = \(Self.isFinished) WHERE seq = ?1")
                for seq in seqs { try finish.execute(arguments: [seq]) }
            }
        } catch {
            throw Self.stateError(error, path: path)
        }
    }

    /// Removes finished signals recorded before `cutoff` (the `journal` setting), with their deliveries.
    public func prune(recordedBefore cutoff: Timestamp) throws(StateError) {
        do {
            try database.write { db in
                let old = "recorded_ns < ? AND NOT (\(Self.isUnfinished))"
                try db.execute(sql: "DELETE FROM delivery WHERE seq IN (SELECT seq FROM journal WHERE \(old))", arguments: [cutoff.nanosecondsSinceEpoch])
                try db.execute(sql: "DELETE FROM journal WHERE \(old)", arguments: [cutoff.nanosecondsSinceEpoch])
            }
        } catch {
            throw Self.stateError(error, path: path)
        }
    }

    /// The journaled signals after `seq`, in order, optionally only one signal name or sender, each with its
    /// deliveries.
    /// - Parameter limit: at most this many (the first ones); nil for all.
    public func journal(after seq: Int64, signal: String? = nil, sender: String? = nil, limit: Int? = nil) throws(StateError) -> [JournalEntry] {
        var sql = "SELECT \(Self.entryColumns) FROM journal WHERE seq > ?"
        var arguments: [any DatabaseValueConvertible] = [seq]
        if let signal { sql += " AND signal = ?"; arguments.append(signal) }
        if let sender { sql += " AND sender = ?"; arguments.append(sender) }
        sql += " ORDER BY seq"
        if let limit { sql += " LIMIT \(limit)" }
        do {
            return try database.read { db in try Self.entries(db, sql: sql, arguments: StatementArguments(arguments)) }
        } catch {
            throw Self.stateError(error, path: path)
        }
    }

    /// Whether the signal `seq` (an SQL expression) has no receiver's delivery pending.
    private static func noDeliveryPending(_ seq: String) -> String {
        "NOT EXISTS (SELECT 1 FROM delivery WHERE delivery.seq = \(seq) AND state = 'pending')"
    }

    /// Whether the journal row `?1` has no receiver's delivery pending: its `done`, as SQL (its printed line
    /// is told by ``printedThrough``).
    private static let isFinished = noDeliveryPending("?1")

    /// The last `seq` whose line, if it had one to print (`stdout = 1`), is printed: lines leave in `seq`
    /// order, so this one number stands for a mark on every row (a second write of the whole journal).
    private static let printedThrough = "(SELECT value FROM counter WHERE name = 'printed_through')"

    /// Whether a journal row's line is still to be printed, as SQL.
    private static let isLinePending = "(stdout = 1 AND seq > \(printedThrough))"

    /// Whether a journal row has a delivery pending, its line's included, as SQL: the rows a restart makes again.
    /// Written as a list of seqs so that each half is read through its index (the partial one on `done = 0`,
    /// and the rows above the watermark), not by a scan of the whole journal.
    static let isUnfinished = """
        seq IN (SELECT seq FROM journal WHERE done = 0
                UNION ALL SELECT seq FROM journal WHERE seq > \(printedThrough) AND stdout = 1 AND done = 1)
        """

    /// The columns ``entries(_:sql:arguments:)`` reads: seq, signal, sender, line, whether done (its line
    /// included), and its line's delivery (0 none, 1 pending, 2 printed).
    static let entryColumns = "seq, signal, sender, line, done = 1 AND NOT \(isLinePending), CASE WHEN \(isLinePending) THEN 1 WHEN stdout != 0 THEN 2 ELSE 0 END"

    /// Marks each delivery in its state, and its signal done once none of its receivers' deliveries is
    /// pending. Lines printed (the commonest mark, one per signal) move ``printedThrough`` only: lines leave
    /// in `seq` order, so the last one printed says it for all of them.
    static func markDone(_ deliveries: [Delivery], _ db: Database) throws {
        let mark = try db.cachedStatement(sql: "UPDATE delivery SET state = ? WHERE seq = ? AND receiver = ?")
        let printed = try db.cachedStatement(sql: "UPDATE counter SET value = max(value, ?) WHERE name = 'printed_through'")
        let finish = try db.cachedStatement(sql: "UPDATE journal SET done = \(isFinished) WHERE seq = ?1")
        var receiversDone = Set<Int64>()
        var printedThrough: Int64?
        for delivery in deliveries {
            if delivery.receiver == Delivery.standardOutput {
                printedThrough = max(printedThrough ?? delivery.seq, delivery.seq)
            } else {
                try mark.execute(arguments: [delivery.state.rawValue, delivery.seq, delivery.receiver])
                receiversDone.insert(delivery.seq)
            }
        }
        if let printedThrough { try printed.execute(arguments: [printedThrough]) }
        for seq in receiversDone { try finish.execute(arguments: [seq]) }
    }

    /// The entries `sql` selects (``entryColumns``), each with its deliveries in the order recorded (the
    /// printed line's first).
    static func entries(_ db: Database, sql: String, arguments: StatementArguments) throws -> [JournalEntry] {
        var entries = try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
            var entry = JournalEntry(seq: row[0], signal: row[1], sender: row[2], line: [UInt8](row[3] as Data), isDone: (row[4] as Int64) != 0)
            let printed: Int64 = row[5]
            if printed != 0 { entry.deliveries = [(Delivery.standardOutput, printed == 1 ? .pending : .done)] }
            return entry
        }
        guard let first = entries.first?.seq, let last = entries.last?.seq else { return entries }
        var bySeq: [Int64: [(receiver: String, state: Delivery.State)]] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT seq, receiver, state FROM delivery WHERE seq BETWEEN ? AND ? ORDER BY rowid", arguments: [first, last])
        while let row = try rows.next() {
            bySeq[row[0], default: []].append((row[1], Delivery.State(rawValue: row[2]) ?? .pending))
        }
        for index in entries.indices { entries[index].deliveries += bySeq[entries[index].seq] ?? [] }
        return entries
    }
}
