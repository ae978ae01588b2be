// SPDX-License-Identifier: GPL-2.0-or-later
import GRDB
import GRDBSQLite

/// One row of a statement being stepped through, read straight through SQLite's C API.
struct RawRow {
    fileprivate let statement: OpaquePointer

    func integer(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }

    /// The column's bytes; nil when it is NULL.
    func bytes(_ column: Int32) -> [UInt8]? {
        guard sqlite3_column_type(statement, column) != SQLITE_NULL else { return nil }
        let count = Int(sqlite3_column_bytes(statement, column))
        guard count > 0, let start = sqlite3_column_blob(statement, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: start, count: count))
    }

    func text(_ column: Int32) -> String {
        guard let start = sqlite3_column_text(statement, column) else { return "" }
        return String(decoding: UnsafeBufferPointer(start: start, count: Int(sqlite3_column_bytes(statement, column))), as: UTF8.self)
    }
}

extension Statement {
    /// Steps through every row of the statement, handing each to `body`.
    ///
    /// GRDB's `Row` copies every blob into a `Data` of its own; loading the instance table at start-up
    /// (100,000 rows of paths) through it took about a third of the second start. Used for that read only.
    func forEachRawRow(_ body: (RawRow) throws -> Void) throws {
        let statement = sqliteStatement
        sqlite3_reset(statement)
        defer { sqlite3_reset(statement) }
        var code = sqlite3_step(statement)
        while code == SQLITE_ROW {
            try body(RawRow(statement: statement))
            code = sqlite3_step(statement)
        }
        guard code == SQLITE_DONE else { throw failure(code) }
    }
}
