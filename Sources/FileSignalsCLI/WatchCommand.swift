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
            Reads ./filesignals.ini, or the file named by -c, and watches every model it declares. Folders \
            given instead form one model of their own (default sender `File`), with no config. Signals are \
            printed as a short line on standard error, or with --json as JSON lines on standard output. \
            SIGINT and SIGTERM stop watching and exit 0.
            """
    )

    @OptionGroup var config: ConfigOptions

    @OptionGroup(title: "Model (without a config)")
    var model: FolderModelOptions

    @Option(help: ArgumentHelp("How long a file must stay quiet before its save is reported: 250ms, 2s, 0 (default: the config's, or 50ms).", valueName: "duration"),
            transform: WatchCommand.parseDuration)
    var settle: Duration?

    @Flag(help: "Print every signal as a JSON line on standard output.")
    var json = false

    @Flag(help: "Report every existing file once at start, as post_save with source `initial`.")
    var initial = false

    init() {}

    func run() async throws {
        let bridge: Bridge
        do {
            bridge = try makeBridge()
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

    /// The bridge for the config file, or for the folders given on the command line.
    private func makeBridge() throws -> Bridge {
        let configPath = model.folders.isEmpty ? config.chosenPath : nil
        guard let configPath else {
            if config.path != nil {
                throw ValidationError("give folders or -c PATH, not both: folders given on the command line form a model of their own")
            }
            return Bridge(models: [try model.model()], options: .init(settle: settle ?? .milliseconds(50), reportInitialFiles: initial))
        }
        if !model.matches.isEmpty || !model.excludes.isEmpty || model.sender != "File" {
            throw ValidationError("--match, --exclude and --sender describe folders given on the command line; with a config, use its [model] sections")
        }
        let loaded = try ConfigOptions.load(path: configPath)
        if loaded.models.isEmpty {
            Log.error("\(configPath) declares no [model]; nothing to watch")
            throw ExitCodes.config
        }
        if !loaded.receivers.isEmpty {
            Log.warning("this version does not run receivers yet; signals are only printed")
        }
        return Bridge(models: loaded.runtimeModels, options: .init(settle: settle ?? loaded.general.settle, reportInitialFiles: initial))
    }

    static func parseDuration(_ text: String) throws -> Duration {
        guard let duration = DurationText.parse(text) else {
            throw ValidationError("`\(text)` is not a duration; write it like 50ms, 2s or 1m")
        }
        return duration
    }
}
