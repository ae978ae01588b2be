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
                let old = "SELECT seq FROM journal WHERE done = 1 AND recorded_ns < ?"
                try db.execute(sql: "DELETE FROM delivery WHERE seq IN (\(old))", arguments: [cutoff.nanosecondsSinceEpoch])
                try db.execute(sql: "DELETE FROM journal WHERE done = 1 AND recorded_ns < ?", arguments: [cutoff.nanosecondsSinceEpoch])
            }
        } catch {
            throw Self.stateError(error, path: path)
        }
    }

    /// The journaled signals after `seq`, in order, optionally only one signal name or sender, each with its
    /// deliveries.
    /// - Parameter limit: at most this many (the first ones); nil for all.
    public func journal(after seq: Int64, signal: String? = nil, sender: String? = nil, limit: Int? = nil) throws(StateError) -> [JournalEntry] {
        var sql = "SELECT seq, signal, sender, line, done, stdout FROM journal WHERE seq > ?"
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

    /// Whether the journal row `?1` has no delivery pending, its printed line's included: its `done`, as SQL.
    private static let isFinished = "(stdout != 1 AND \(noDeliveryPending("?1")))"

    /// Marks each delivery in its state, and its signal done once none of its deliveries is pending. Lines
    /// printed (the commonest mark, one per signal, in `seq` order) are marked a run of consecutive `seq`s at a
    /// time: one statement for a whole burst instead of one per signal.
    static func markDone(_ deliveries: [Delivery], _ db: Database) throws {
        let mark = try db.cachedStatement(sql: "UPDATE delivery SET state = ? WHERE seq = ? AND receiver = ?")
        let printed = try db.cachedStatement(sql: """
            UPDATE journal SET stdout = 2, done = \(noDeliveryPending("journal.seq"))
            WHERE seq BETWEEN ?1 AND ?2 AND stdout = 1
            """)
        let finish = try db.cachedStatement(sql: "UPDATE journal SET done = \(isFinished) WHERE seq = ?1")
        var receiversDone = Set<Int64>()
        var printedSeqs: [Int64] = []
        for delivery in deliveries {
            if delivery.receiver == Delivery.standardOutput {
                printedSeqs.append(delivery.seq)
            } else {
                try mark.execute(arguments: [delivery.state.rawValue, delivery.seq, delivery.receiver])
                receiversDone.insert(delivery.seq)
            }
        }
        for run in consecutiveRuns(printedSeqs) { try printed.execute(arguments: [run.lowerBound, run.upperBound]) }
        for seq in receiversDone { try finish.execute(arguments: [seq]) }
    }

    /// `seqs` as runs of consecutive numbers: [1, 2, 3, 7, 8] is 1...3 and 7...8.
    static func consecutiveRuns(_ seqs: [Int64]) -> [ClosedRange<Int64>] {
        var runs: [ClosedRange<Int64>] = []
        for seq in seqs.sorted() {
            if let last = runs.last, seq <= last.upperBound + 1 {
                runs[runs.count - 1] = last.lowerBound...max(last.upperBound, seq)
            } else {
                runs.append(seq...seq)
            }
        }
        return runs
    }

    /// The entries `sql` selects (seq, signal, sender, line, done, stdout), each with its deliveries in the order
    /// recorded (the printed line's first).
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
