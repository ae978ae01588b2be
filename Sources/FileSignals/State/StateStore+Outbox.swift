// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import GRDB

/// The outbox of `url` receivers: their pending deliveries are read from the database in `seq` order, a page
/// at a time, so that a backlog waits on disk, not in memory.
extension StateStore {
    /// One delivery to send: the signal's seq and its JSON line.
    public struct OutboxEntry: Sendable, Hashable {
        public var seq: Int64
        public var line: [UInt8]
    }

    /// Up to `limit` pending deliveries of `receiver` (its delivery key) after `seq`, in order.
    public func pendingDeliveries(to receiver: String, after seq: Int64, limit: Int) throws(StateError) -> [OutboxEntry] {
        do {
            return try database.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT delivery.seq, journal.line FROM delivery JOIN journal ON journal.seq = delivery.seq
                    WHERE delivery.receiver = ? AND delivery.state = 'pending' AND delivery.seq > ?
                    ORDER BY delivery.seq LIMIT ?
                    """, arguments: [receiver, seq, limit]).map { OutboxEntry(seq: $0[0], line: [UInt8]($0[1] as Data)) }
            }
        } catch {
            throw Self.stateError(error, path: path)
        }
    }

    /// Marks deliveries of `receiver` dead, noting `reason` (never a secret: a status and the start of a body).
    public func markDead(_ seqs: [Int64], receiver: String, reason: String) throws(StateError) {
        guard !seqs.isEmpty else { return }
        do {
            try database.write { db in
                try Self.markDone(seqs.map { Delivery(seq: $0, receiver: receiver, state: .dead) }, db)
                let note = try db.cachedStatement(sql: "UPDATE delivery SET detail = ? WHERE seq = ? AND receiver = ?")
                for seq in seqs { try note.execute(arguments: [reason, seq, receiver]) }
            }
        } catch {
            throw Self.stateError(error, path: path)
        }
    }

    /// Makes dead deliveries pending again (of `receiver`, or of every receiver): `filesignals retry`.
    /// - Returns: how many.
    public func retryDead(receiver: String? = nil) throws(StateError) -> Int {
        do {
            return try database.write { db in
                let only = receiver == nil ? "" : " AND receiver = ?"
                let arguments: StatementArguments = receiver.map { [$0] } ?? []
                try db.execute(sql: "UPDATE journal SET done = 0 WHERE seq IN (SELECT seq FROM delivery WHERE state = 'dead'\(only))", arguments: arguments)
                try db.execute(sql: "UPDATE delivery SET state = 'pending', detail = NULL WHERE state = 'dead'\(only)", arguments: arguments)
                return db.changesCount
            }
        } catch {
            throw Self.stateError(error, path: path)
        }
    }

    /// Why the dead deliveries died, by seq and receiver.
    public func deadDetails(after seq: Int64 = 0) throws(StateError) -> [Delivery: String] {
        do {
            return try database.read { db in
                var details: [Delivery: String] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT seq, receiver, detail FROM delivery WHERE state = 'dead' AND seq > ?", arguments: [seq]) {
                    details[Delivery(seq: row[0], receiver: row[1], state: .dead)] = row[2] ?? ""
                }
                return details
            }
        } catch {
            throw Self.stateError(error, path: path)
        }
    }

    /// This database's own id, made when first asked for: with the seq, it makes a CloudEvent's `id`, unique
    /// even when a new database starts its seq at 1 again.
    public func bridgeID() throws(StateError) -> String {
        do {
            return try database.write { db in
                if let known = try String.fetchOne(db, sql: "SELECT value FROM about WHERE key = 'bridge_id'") { return known }
                var bytes = [UInt8](repeating: 0, count: 8)
                for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255) }
                let id = ContentHash.hex(bytes)
                try db.execute(sql: "INSERT INTO about VALUES ('bridge_id', ?)", arguments: [id])
                return id
            }
        } catch {
            throw Self.stateError(error, path: path)
        }
    }

    /// Where the journal stands, for metrics: deliveries waiting and dead by receiver, signals not finished,
    /// and when the oldest of them was recorded.
    public struct Backlog: Sendable {
        public var waiting: [String: Int] = [:]
        public var dead: [String: Int] = [:]
        public var unfinished = 0
        public var oldestUnfinished: Timestamp?
    }

    /// The journal's backlog now (two indexed queries).
    public func backlog() throws(StateError) -> Backlog {
        do {
            return try database.read { db in
                var backlog = Backlog()
                for row in try Row.fetchAll(db, sql: "SELECT receiver, state, count(*) FROM delivery WHERE state IN ('pending', 'dead') GROUP BY receiver, state") {
                    let state: String = row[1]
                    if state == "dead" { backlog.dead[row[0]] = row[2] } else { backlog.waiting[row[0]] = row[2] }
                }
                if let row = try Row.fetchOne(db, sql: "SELECT count(*), min(recorded_ns) FROM journal WHERE \(Self.isUnfinished)") {
                    backlog.unfinished = row[0]
                    backlog.oldestUnfinished = (row[1] as Int64?).map { Timestamp(nanosecondsSinceEpoch: $0) }
                }
                return backlog
            }
        } catch {
            throw Self.stateError(error, path: path)
        }
    }
}
