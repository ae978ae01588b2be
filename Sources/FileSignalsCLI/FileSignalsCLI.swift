// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser

/// The entry point of the `filesignals` command line, for the `filesignals` executable and for a user's own
/// executable that wants the same commands.
public enum FileSignalsCLI {
    /// Parses the process's arguments (or `arguments`), runs the chosen subcommand, and exits with its status.
    public static func main(arguments: [String]? = nil) async -> Never {
        do {
            var command = try FileSignalsCommand.parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            FileSignalsCommand.exit()
        } catch {
            FileSignalsCommand.exit(withError: error)
        }
    }
}
