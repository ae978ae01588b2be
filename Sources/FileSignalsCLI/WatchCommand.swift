// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import FileSignals
import Foundation

/// `filesignals watch`: watch folders and report every save and delete until SIGINT or SIGTERM.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Watch folders and report each save and delete as a signal.",
        discussion: """
            With no config file, the folders given form one model (default sender `File`). Signals are \
            printed as a short line on standard error, or with --json as JSON lines on standard output. \
            SIGINT and SIGTERM stop watching and exit 0.
            """
    )

    @OptionGroup(title: "Model")
    var model: FolderModelOptions

    @Option(help: ArgumentHelp("How long a file must stay quiet before its save is reported: 250ms, 2s, 0 (default: 50ms).", valueName: "duration"),
            transform: WatchCommand.parseDuration)
    var settle: Duration = .milliseconds(50)

    @Flag(help: "Print every signal as a JSON line on standard output.")
    var json = false

    @Flag(help: "Report every existing file once at start, as post_save with source `initial`.")
    var initial = false

    init() {}

    func run() async throws {
        let bridge: Bridge
        do {
            bridge = Bridge(models: [try model.model()], options: .init(settle: settle, reportInitialFiles: initial))
        } catch let error as WatcherError {
            Log.error(error.description)
            throw ExitCodes.status(for: error)
        }
        let printsJSON = json
        let watching = Task {
            try await bridge.run { event in
                switch event {
                case .signals(let signals):
                    for signal in signals {
                        if printsJSON {
                            try LineOutput.standardOutput.write(signal.jsonLine())
                        } else {
                            Log.info(signal.humanLine())
                        }
                    }
                case .ready(let folders, let files):
                    Log.info("watching \(folders) folder\(folders == 1 ? "" : "s"), \(files) file\(files == 1 ? "" : "s"); ready")
                case .warning(let message):
                    Log.warning(message)
                }
            }
        }
        let stopSignals = StopSignals { _ in watching.cancel() }
        if printsJSON {
            Thread.detachNewThread {
                LineOutput.standardOutput.waitUntilReaderCloses()
                watching.cancel()
            }
        }
        defer { withExtendedLifetime(stopSignals) {} }
        do {
            try await watching.value
        } catch let error as WatcherError {
            Log.error(error.description)
            throw ExitCodes.status(for: error)
        } catch is LineOutput.Closed {
            // The reader went away (`| head -1`): nothing left to do, and nothing to complain about.
        }
    }

    static func parseDuration(_ text: String) throws -> Duration {
        guard let duration = DurationText.parse(text) else {
            throw ValidationError("`\(text)` is not a duration; write it like 50ms, 2s or 1m")
        }
        return duration
    }
}
