// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import FileSignals
import Synchronization

/// The entry point of the `filesignals` command line, for the `filesignals` executable and for a user's own
/// executable that registers Swift handlers and wants the same commands:
///
/// ```swift
/// var handlers = HandlerRegistry.builtIn
/// handlers.register("thumbnail") { signal in try await makeThumbnail(signal.path) }
/// await FileSignalsCLI.main(handlers: handlers)
/// ```
public enum FileSignalsCLI {
    /// The handlers `handler = NAME` may name in this process.
    static let registry = Mutex(HandlerRegistry.builtIn)

    static var handlers: HandlerRegistry { registry.withLock { $0 } }

    /// Parses the process's arguments (or `arguments`), runs the chosen subcommand, and exits with its status.
    ///
    /// - Parameter handlers: the Swift handlers receivers may name; the built-in `log` and `mirror` by default.
    public static func main(handlers: HandlerRegistry = .builtIn, arguments: [String]? = nil) async -> Never {
        registry.withLock { $0 = handlers }
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
