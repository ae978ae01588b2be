// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import FileSignals

/// `filesignals scan`: one catch-up pass, for cron.
struct ScanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Compare the disk with the state, report what changed, record it, and exit.",
        discussion: """
            One catch-up pass, as `watch` makes at start, without watching afterwards: for cron or a systemd \
            timer. Signals carry source `catch-up`. With no state yet, the files found become the state and \
            nothing is reported (unless --initial). Every signal found is dispatched to every receiver, and \
            scan exits once they have all finished: with status 1 when any receiver failed.
            """
    )

    @OptionGroup var config: ConfigOptions

    @OptionGroup(title: "Model (without a config)")
    var model: FolderModelOptions

    @OptionGroup(title: "State")
    var state: StateOptions

    @OptionGroup(title: "Content digests")
    var digests: DigestOptions

    @OptionGroup(title: "Log")
    var log: LogOptions

    @Flag(help: "Print every signal as a JSON line on standard output.")
    var json = false

    @Flag(help: "Report every existing file as post_save with source `initial`.")
    var initial = false

    init() {}

    func run() async throws {
        log.apply()
        let bridge: Bridge
        let target: WatchTarget
        let failures = FailureCount()
        do {
            target = try WatchTarget.resolve(config: config, folders: model, state: state)
            let dispatcher = BridgeSession.dispatcher(for: target, enabled: true, results: json, failures: failures)
            let digestPolicy = digests.choice(for: target, dispatcher: dispatcher, printsJSON: json).policy
            bridge = Bridge(
                models: target.models, options: .init(settle: .zero, deleteSettle: target.deleteSettle, reportInitialFiles: initial, digests: digestPolicy),
                state: try target.openState(), journalRetention: target.journalRetention, stopsWhenCaughtUp: true,
                dispatcher: dispatcher,
                staysOnOneFileSystem: target.staysOnOneFileSystem,
                outputProgress: json ? BridgeSession.outputProgress : nil)
        } catch let error as WatcherError {
            Log.error(error.description)
            throw ExitCodes.status(for: error)
        }
        try await BridgeSession.run(bridge, json: json, config: target.configPath)
        if failures.count > 0 { throw ExitCode(1) }
    }
}
