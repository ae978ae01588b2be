// SPDX-License-Identifier: GPL-2.0-or-later
import GRDB
import GRDBSQLite

/// A value bound to one `?` of a prepared statement.
enum BoundValue {
    case integer(Int64)
    case text(String)
    case blob([UInt8])
    case null
}

extension Statement {
    /// Runs the statement with `values` bound straight through SQLite's C API.
    ///
    /// GRDB's `StatementArguments` turns every value into a `DatabaseValue` in an array built for each row;
    /// for the rows a burst writes (a journal row per signal, an instance row per file) that cost about a fifth
    /// of the watcher thread's time. Used for those hot statements only; everything else goes through GRDB.
    func run(_ values: BoundValue...) throws {
        let statement = sqliteStatement
        sqlite3_reset(statement)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .integer(let number): code = sqlite3_bind_int64(statement, index, number)
            case .text(let text): code = sqlite3_bind_text(statement, index, text, -1, Self.transient)
            case .blob(let bytes):
                code = bytes.withUnsafeBytes { sqlite3_bind_blob(statement, index, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32($0.count), Self.transient) }
            case .null: code = sqlite3_bind_null(statement, index)
            }
            guard code == SQLITE_OK else { throw failure(code) }
        }
        var code = sqlite3_step(statement)
        while code == SQLITE_ROW { code = sqlite3_step(statement) }
        guard code == SQLITE_DONE else { throw failure(code) }
        sqlite3_reset(statement)
    }

    /// SQLite copies the value before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// SQLite's error `code` for this statement as GRDB reports its own, with the connection's message; the
    /// statement is reset. Shared with ``forEachRawRow(_:)``.
    func failure(_ code: Int32) -> DatabaseError {
        let message = sqlite3_db_handle(sqliteStatement).flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
        sqlite3_reset(sqliteStatement)
        return DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: sql)
    }
}
