// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import FileSignals

/// The exit statuses of `filesignals`, from `sysexits.h`. Only the command line maps errors to them.
enum ExitCodes {
    /// `EX_USAGE`: the command line is wrong.
    static let usage = ExitCode(64)
    /// `EX_NOINPUT`: a folder to watch is missing.
    static let noInput = ExitCode(66)
    /// `EX_UNAVAILABLE`: the inotify watch limit was reached.
    static let unavailable = ExitCode(69)
    /// `EX_OSERR`: the system refused something else (inotify could not start).
    static let osError = ExitCode(71)
    /// `EX_CONFIG`: the configuration is invalid.
    static let config = ExitCode(78)
    /// `EX_DATAERR`: the state database is damaged or from a newer version.
    static let dataError = ExitCode(65)
    /// `EX_CANTCREAT`: the state database cannot be created or written.
    static let cannotCreate = ExitCode(73)
    /// `EX_TEMPFAIL`: another watcher holds the state database; try again once it has stopped.
    static let temporaryFailure = ExitCode(75)

    /// The status for a state database that cannot be used.
    static func status(for error: StateError) -> ExitCode {
        switch error {
        case .locked: return temporaryFailure
        case .corrupt, .newerSchema: return dataError
        case .unavailable, .unsafe, .deleted: return cannotCreate
        case .missing: return noInput
        }
    }

    /// The status for a watcher that could not start.
    static func status(for error: WatcherError) -> ExitCode {
        switch error {
        case .missingFolder, .notAFolder, .pseudoFileSystem, .untrustedLink: return noInput
        case .watchLimitReached: return unavailable
        case .cannotInitialize, .cannotWatch, .alreadyRunning: return osError
        }
    }
}
