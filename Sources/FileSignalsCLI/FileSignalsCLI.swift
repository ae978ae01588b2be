// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import FileSignals
import Logging
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
    /// What the library logs through swift-log comes out in the log's terminal format.
    ///
    /// - Parameter handlers: the Swift handlers receivers may name; the built-in `log` and `mirror` by default.
    /// - Parameter bootstrapsLogging: install the CLI's swift-log handler (the terminal format) for the whole
    ///   process; pass false when the program bootstrapped `LoggingSystem` itself (it may be done once only).
    public static func main(handlers: HandlerRegistry = .builtIn, arguments: [String]? = nil, bootstrapsLogging: Bool = true) async -> Never {
        registry.withLock { $0 = handlers }
        if bootstrapsLogging { LoggingSystem.bootstrap(TerminalLogHandler.init) }
        let given = arguments ?? Array(CommandLine.arguments.dropFirst())
        if let word = given.first, let message = unknownCommandMessage(word) {
            Log.error(message)
            LogWriter.standardError.flush()
            FileSignalsCommand.exit(withError: ExitCodes.usage)
        }
        // `watch [DIR...] -- PROGRAM ARGS`: the words after `--` are the program (see ``CommandLineReceiver``).
        var parsed = arguments
        if given.first == WatchCommand.configuration.commandName, let terminator = given.firstIndex(of: "--") {
            CommandLineReceiver.program.withLock { $0 = Array(given[(terminator + 1)...]) }
            parsed = Array(given[..<terminator])
        }
        do {
            var command = try FileSignalsCommand.parseAsRoot(parsed)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            LogWriter.standardError.flush()
            FileSignalsCommand.exit()
        } catch let error as ValidationError {
            LogWriter.standardError.flush()
            // Its message may quote a name or a pattern from the command line: written out, never obeyed.
            FileSignalsCommand.exit(withError: ValidationError(TerminalText.escaped(error.message)))
        } catch {
            LogWriter.standardError.flush()
            FileSignalsCommand.exit(withError: error)
        }
    }

    /// "unknown command `wacth`; did you mean `watch`?" for a first word that is no command, or nil.
    static func unknownCommandMessage(_ word: String) -> String? {
        guard !word.hasPrefix("-") else { return nil }
        let commands = FileSignalsCommand.configuration.subcommands.map { $0._commandName }
        guard !commands.contains(word), word != "help" else { return nil }
        if let nearest = NearestWord.suggestion(for: word, among: commands) {
            return "unknown command `\(word)`; did you mean `\(nearest)`?"
        }
        return "unknown command `\(word)`; the commands are \(commands.joined(separator: ", ")) (filesignals --help)"
    }
}
