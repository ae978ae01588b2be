// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser

/// `-v` and `-q`: how much the log on stderr shows.
struct LogOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Also show the raw inotify events, and each file a walk of the folders finds.")
    var verbose = false

    @Flag(name: .shortAndLong, help: "Show only errors.")
    var quiet = false

    func validate() throws {
        if verbose && quiet { throw ValidationError("give -v or -q, not both") }
    }

    /// Sets the log's level.
    func apply() {
        Log.level = quiet ? .quiet : verbose ? .verbose : .normal
    }
}
