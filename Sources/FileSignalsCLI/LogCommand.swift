// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import FileSignals

/// `filesignals log`: the journaled signals, for a consumer that was down to resume.
struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Print journaled signals as JSON lines.",
        discussion: """
            Prints the signals kept in the state database, oldest first, as the JSON lines `watch --json` \
            printed. With --deliveries, each line also says where its deliveries stand: \
            "deliveries":{"RECEIVER":"done", "pending", "dropped" or "dead"}, one per receiver it reached ("(stdout)" for the \
            reader of `watch --json`). A consumer that was down resumes with --since and the last seq it saw. Without a config, \
            give the same folders and patterns as to `watch`: they find its state.
            """
    )

    @OptionGroup var config: ConfigOptions

    @OptionGroup(title: "Model (without a config)")
    var model: FolderModelOptions

    @OptionGroup(title: "State")
    var state: StateOptions

    @Option(help: ArgumentHelp("Only signals with a seq greater than this.", valueName: "seq"))
    var since: Int64 = 0

    @Option(help: ArgumentHelp("Only this signal.", valueName: "signal"))
    var signal: String?

    @Flag(help: "Add each signal's delivery states to its line (\"deliveries\").")
    var deliveries = false

    @Flag(help: "Only signals with a dead delivery (a url receiver gave up), with their delivery states and why each died (\"dead\"); `filesignals retry` sends them again.")
    var dead = false

    init() {}

    func run() throws {
        let target: WatchTarget
        do {
            // With a config, --sender only filters; without, it also names the model, as for `watch`.
            var folders = model
            if model.folders.isEmpty && config.chosenPath != nil { folders.sender = nil }
            target = try WatchTarget.resolve(config: config, folders: folders, state: state)
        } catch let error as WatcherError {
            Log.error(error.description)
            throw ExitCodes.status(for: error)
        }
        if let signal {
            let declared = ModelSignal.allCases.map(\.rawValue) + (target.config?.signals.map(\.name) ?? [])
            // Custom signals made in Swift count as declared.
            let known = declared + SignalRegistry.shared.signalNames.filter { !declared.contains($0) }
            guard known.contains(signal) else {
                throw ValidationError("no signal is named `\(signal)`\(NearestWord.hint(for: signal, among: known)); the signals are \(known.joined(separator: ", "))")
            }
        }
        guard let store = try target.openState(readOnly: true) else {
            throw ValidationError("there is no journal without state (--no-state, or state = none)")
        }
        defer { store.closeCleanly() }
        let entries: [JournalEntry]
        do {
            entries = try store.journal(after: since, signal: signal, sender: model.sender)
        } catch {
            Log.error(error.description)
            throw ExitCodes.status(for: error)
        }
        var output: [UInt8] = []
        if dead {
            let why = (try? store.deadDetails(after: since)) ?? [:]
            for entry in entries where entry.deliveries.contains(where: { $0.state == .dead }) {
                let reasons = Dictionary(uniqueKeysWithValues: entry.deliveries.filter { $0.state == .dead }.map { ($0.receiver, why[Delivery(seq: entry.seq, receiver: $0.receiver, state: .dead)] ?? "") })
                output += entry.line(withDeliveries: reasons) + [UInt8(ascii: "\n")]
            }
        } else {
            for entry in entries { output += (deliveries ? entry.lineWithDeliveries : entry.line) + [UInt8(ascii: "\n")] }
        }
        do {
            try LineOutput.standardOutput.write(output)
        } catch {
            // The reader went away: nothing more to say.
        }
    }
}
