// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser

/// `--state PATH` and `--no-state`: where the instance table, `seq` and journal are kept.
struct StateOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The state database (default: .filesignals/state.db beside the config, or one under $XDG_STATE_HOME/filesignals/ for folders given on the command line).", valueName: "path"))
    var state: String?

    @Flag(name: .customLong("no-state"), help: "Keep nothing across runs: no catch-up, seq starts at 1.")
    var noState = false

    func validate() throws {
        if state != nil && noState { throw ValidationError("give --state PATH or --no-state, not both") }
    }
}
