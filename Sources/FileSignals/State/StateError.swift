// SPDX-License-Identifier: GPL-2.0-or-later

/// Why the state database cannot be used. Each case says what to do about it.
public enum StateError: Error, Sendable, CustomStringConvertible {
    /// Another running `filesignals` holds the database (it watches the same folders with the same state).
    case locked(path: String, holder: String?)
    /// The file is not a SQLite database, or is damaged.
    case corrupt(path: String, reason: String)
    /// Written by a newer `filesignals`, with a schema this one does not know.
    case newerSchema(path: String)
    /// There is no database at the path yet: no watcher has run with this state (read-only opening).
    case missing(path: String)
    /// The database file was removed while the bridge ran: what it writes goes nowhere.
    case deleted(path: String)
    /// The folder or file cannot be created, opened or written.
    case unavailable(path: String, reason: String)
    /// The folder or a file of the state is a symbolic link, belongs to another user, or its folder can be
    /// written by others: someone else could make the bridge write where they choose.
    case unsafe(path: String, reason: String)

    public var description: String {
        switch self {
        case .locked(let path, let holder):
            return "the state database \(path) is in use by another filesignals\(holder.map { " (pid \($0))" } ?? "") watching the same folders; stop it first, or give this one its own state with --state PATH or --no-state"
        case .corrupt(let path, let reason):
            return "the state database \(path) is damaged (\(reason)); move it away to start afresh (files then count as known, with no catch-up)"
        case .newerSchema(let path):
            return "the state database \(path) was written by a newer filesignals; use that version, or move the file away to start afresh"
        case .deleted(let path):
            return "the state database \(path) was deleted while filesignals ran: nothing is kept from now on (no catch-up, no replay after a crash); restart filesignals to make a new one"
        case .missing(let path):
            return "there is no state database at \(path) yet: no watcher has run with this state. Without a config, the state is found by the folders and patterns given: run log with the same folders, --match, --exclude and --sender as watch (or give --state PATH)"
        case .unsafe(let path, let reason):
            return "refusing the state database \(path): \(reason); someone else could make filesignals write where they choose. Give it a folder of your own with --state PATH (or `state =` in the config), or run without one with --no-state"
        case .unavailable(let path, let reason):
            return "cannot use the state database \(path): \(reason); give it a writable place with --state PATH (or `state =` in the config), or run without one with --no-state"
        }
    }
}
