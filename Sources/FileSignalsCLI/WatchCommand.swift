// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import FileSignals

/// `filesignals watch`: watch folders and report every save and delete until SIGINT or SIGTERM.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Watch folders and report each save and delete as a signal.",
        usage: "filesignals watch [<options>] [<folders> ...] [-- <program> [<arguments> ...]]",
        discussion: """
            Reads the nearest filesignals.ini (in this folder or one above it), or the file named by -c, and watches every model it declares. Folders \
            given instead form one model of their own (default sender `File`), with no config. Signals are \
            printed as a short line on standard error, or with --json as JSON lines on standard output. \
            SIGINT and SIGTERM stop watching and exit 0. \
            After --, a program and its arguments run for each post_save and post_delete (--on to choose), \
            with no shell: `filesignals watch src -- make`, `filesignals watch . -- ./convert {path}`.
            """
    )

    @OptionGroup var config: ConfigOptions

    @OptionGroup(title: "Model (without a config)")
    var model: FolderModelOptions

    @Option(help: ArgumentHelp("How long a file must stay quiet before its save is reported: 250ms, 2s, 0 (default: the config's, or 20ms).", valueName: "duration"),
            transform: { try WatchCommand.parseDuration($0, option: "--settle") })
    var settle: Duration?

    @Option(name: .customLong("delete-settle"),
            help: ArgumentHelp("How long a file must stay gone before its delete is reported (default: the config's, or 1s).", valueName: "duration"),
            transform: { try WatchCommand.parseDuration($0, option: "--delete-settle") })
    var deleteSettle: Duration?

    @Flag(help: "Print every signal as a JSON line on standard output.")
    var json = false

    @Option(help: ArgumentHelp("With --json, first print the journaled signals after this seq, then the live ones: a consumer resumes where it stopped, with no gap and no repeat.", valueName: "seq"))
    var since: Int64?

    @Option(help: ArgumentHelp("Serve metrics in the Prometheus text format at http://ADDR/metrics (default: the config's `metrics`, or none).", valueName: "host:port"),
            transform: { text in
                guard let address = ListenAddress(text) else { throw ValidationError("--metrics `\(text)` is not HOST:PORT, such as 127.0.0.1:9464") }
                return address
            })
    var metrics: ListenAddress?

    @Flag(help: "Report every existing file once at start, as post_save with source `initial`.")
    var initial = false

    @Flag(name: .customLong("no-receivers"), help: "Only print signals; run no receiver.")
    var noReceivers = false

    @Flag(help: "With --json, also print a JSON line for each receiver run (type \"result\").")
    var results = false

    @Flag(name: .customLong("keep-going"), help: "When the inotify watch limit is reached, go on watching the folders already watched (with a warning) instead of exiting 69.")
    var keepGoing = false

    @OptionGroup(title: "A receiver on the command line")
    var receiver: CommandLineReceiver

    @OptionGroup(title: "State")
    var state: StateOptions

    @OptionGroup(title: "Content digests")
    var digests: DigestOptions

    @OptionGroup(title: "Log")
    var log: LogOptions

    init() {}

    func validate() throws {
        if noReceivers && receiver.declaration(printsJSON: json) != nil {
            throw ValidationError("--no-receivers runs nothing; leave it out to run the program given")
        }
        if receiver.clear && json {
            throw ValidationError("--clear clears the terminal the program writes to; with --json, standard output carries JSON lines")
        }
        if since != nil && !json {
            throw ValidationError("--since prints the journal's JSON lines before the live ones; it needs --json")
        }
        if let since, since < 0 { throw ValidationError("--since takes a seq, 0 or more") }
        if since != nil && state.noState {
            throw ValidationError("--since reads the journal, which needs the state database; leave out --no-state")
        }
        if results && !json {
            throw ValidationError("--results prints JSON lines, so it needs --json (without it, each run is a line on stderr already)")
        }
    }

    func run() async throws {
        log.apply()
        var bridge: Bridge
        let dispatcher: Dispatcher?
        let target: WatchTarget
        let commandLine: ReceiverDeclaration?
        do {
            target = try WatchTarget.resolve(config: config, folders: model, state: state)
            // Before anything makes a metric: handles made earlier would report to nothing.
            if metrics ?? target.config?.general.metrics != nil { MetricsServer.bootstrap() }
            commandLine = receiver.declaration(printsJSON: json)
            dispatcher = BridgeSession.dispatcher(for: target, enabled: !noReceivers, results: results, adding: commandLine)
            let digestPolicy = digests.choice(for: target, dispatcher: dispatcher, printsJSON: json).policy
            bridge = Bridge(
                models: target.models,
                options: .init(settle: settle ?? target.settle, deleteSettle: deleteSettle ?? target.deleteSettle, reportInitialFiles: initial, digests: digestPolicy),
                state: try target.openState(), journalRetention: target.journalRetention, dispatcher: dispatcher,
                forwardsRawEvents: log.verbose, keepsGoingAtWatchLimit: keepGoing, staysOnOneFileSystem: target.staysOnOneFileSystem,
                outputProgress: json ? BridgeSession.outputProgress : nil)
        } catch let error as WatcherError {
            Log.error(error.description)
            throw ExitCodes.status(for: error)
        }
        if bridge.state == nil, let url = dispatcher?.registry.all.first(where: { $0.urlSettings != nil }) {
            throw ValidationError("receiver \(url.name) sends to a url from the state database's outbox; it cannot run with --no-state (or state = none)")
        }
        if since != nil && bridge.state == nil {
            throw ValidationError("--since reads the journal, which needs the state database (the config says state = none)")
        }
        bridge.resumesAfter = since
        bridge.outboxWakeUp = BridgeSession.outboxWakeUp
        if SystemdNotifier.shared?.watchdogInterval != nil { bridge.heartbeat = Heartbeat() }
        if let address = metrics ?? target.config?.general.metrics {
            try await MetricsServer.serve(at: address, for: bridge)
        }
        var onReady: (@Sendable () -> Void)?
        if receiver.runFirst, let dispatcher, let commandLine {
            onReady = { Task { await dispatcher.runFirst(commandLine) } }
        }
        try await BridgeSession.run(
            bridge, json: json, config: target.configPath, reload: BridgeSession.reloader(path: target.configPath, dispatcher: dispatcher, keeping: commandLine),
            onReady: onReady)
    }

    static func parseDuration(_ text: String, option: String) throws -> Duration {
        guard let duration = DurationText.parse(text), duration <= GeneralSettings.longestSettle else {
            if DurationText.parse(text) != nil || DurationText.isTooLong(text) {
                throw ValidationError("\(option) \(text) is out of range; at most \(DurationText.format(GeneralSettings.longestSettle))")
            }
            throw ValidationError("`\(text)` is not a duration; write it like 50ms, 2s or 1m")
        }
        return duration
    }
}
