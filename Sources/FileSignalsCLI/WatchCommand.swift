// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import FileSignals

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

    @OptionGroup(title: "State")
    var state: StateOptions

    init() {}

    func run() async throws {
        let bridge: Bridge
        do {
            let target = try WatchTarget.resolve(config: config, folders: model, state: state)
            if let receivers = target.config?.receivers, !receivers.isEmpty {
                Log.warning("this version does not run receivers yet; signals are only printed")
            }
            bridge = Bridge(
                models: target.models, options: .init(settle: settle ?? target.settle, reportInitialFiles: initial),
                state: try target.openState(), journalRetention: target.journalRetention)
        } catch let error as WatcherError {
            Log.error(error.description)
            throw ExitCodes.status(for: error)
        }
        try await BridgeSession.run(bridge, json: json)
    }

    static func parseDuration(_ text: String) throws -> Duration {
        guard let duration = DurationText.parse(text) else {
            throw ValidationError("`\(text)` is not a duration; write it like 50ms, 2s or 1m")
        }
        return duration
    }
}
