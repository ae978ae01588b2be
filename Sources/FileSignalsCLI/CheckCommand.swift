// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import FileSignals

/// `filesignals check`: validate the config and print what it declares.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the config and print its models, signals and receivers.",
        discussion: "Every error is reported at once, with file, line and column. Exit status 0, or 78 when the config has errors."
    )

    @OptionGroup var config: ConfigOptions

    init() {}

    func run() throws {
        let loaded = try config.load()
        try LineOutput.standardOutput.writeLine(ConfigSummary(loaded).text)
    }
}

/// The readable summary `check` prints.
struct ConfigSummary {
    let text: String

    init(_ config: ProjectConfig) {
        var lines: [String] = []
        func plural(_ count: Int, _ word: String) -> String { "\(count) \(word)\(count == 1 ? "" : "s")" }
        lines.append("\(config.file): ok: \(plural(config.models.count, "model")), \(plural(config.signals.count, "custom signal")), \(plural(config.receivers.count, "receiver"))" + (SignalRegistry.shared.connectedInSwift.isEmpty ? "" : "; \(plural(SignalRegistry.shared.connectedInSwift.count, "Swift receiver")) connected"))
        let general = config.general
        let state = general.state.path ?? "none"
        lines.append("settings: settle \(DurationText.format(general.settle)), delete_settle \(DurationText.format(general.deleteSettle)), jobs \(general.jobs), state \(state), journal \(DurationText.format(general.journal)), loop_limit \(general.loopLimit)")
        // Closures connected in Swift (in a program built on FileSignalsCLI) are receivers too, listed in the
        // order the dispatcher picks them.
        let registry = SignalRegistry.shared
        ConfigReceivers.connect(config)
        let digests = general.digests.choice(limit: general.digestLimit, receivers: registry.all, printsJSON: false)
        lines.append("digests: \(digests.explanation)")
        for name in digests.affected {
            lines.append("  receiver \(name) has when = content-changed: it runs for every save that changes a file's size or mtime")
        }
        var ignore = general.defaultIgnore ? ["the default list"] : []
        if !general.ignore.isEmpty { ignore.append(general.ignore.joined(separator: " ")) }
        lines.append("ignore: " + (ignore.isEmpty ? "nothing" : ignore.joined(separator: " + ")))
        for (declaration, model) in zip(config.models, config.runtimeModels) {
            lines.append("")
            lines.append("model \(declaration.name): \(plural(model.instancesOnDisk().count, "instance"))")
            lines.append("  path: " + declaration.folders.map(\.written).joined(separator: " "))
            lines.append("  match: " + (declaration.match.isEmpty ? "every file" : declaration.match.map(\.text).joined(separator: " ")))
            if !declaration.exclude.isEmpty {
                lines.append("  exclude: " + declaration.exclude.joined(separator: " "))
            }
            lines.append("  recursive: \(declaration.recursive ? "yes" : "no")")
        }
        for signal in config.signals {
            lines.append("")
            lines.append("signal \(signal.name)" + (signal.description.map { ": \($0)" } ?? ""))
        }
        for receiver in registry.all {
            lines.append("")
            let senders = receiver.senders.isEmpty ? "every sender" : receiver.senders.joined(separator: " ")
            lines.append("receiver \(receiver.name): \(receiver.signals.joined(separator: " ")) from \(senders)")
            switch receiver.action {
            case .command(let command): lines.append("  command: \(command)")
            case .exec(let words): lines.append("  exec: " + words.map(ShellQuoting.quote).joined(separator: " "))
            case .handler(let name, let options):
                let shown = options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                lines.append("  handler: \(name)" + (shown.isEmpty ? "" : " (" + shown.joined(separator: ", ") + ")"))
            case .swift(let closure): lines.append("  Swift closure connected at \(closure.connectedAt)")
            case .url(let settings): lines += settings.summary.map { "  " + $0 }
            }
            // A url receiver's timeout and retries are in its summary; on_busy and robust are for processes.
            var how = receiver.urlSettings != nil ? ["when \(receiver.when.rawValue)"] : [
                "timeout " + (receiver.timeout.map(DurationText.format) ?? "none"),
                "on_busy \(receiver.onBusy.rawValue)", "when \(receiver.when.rawValue)",
                "robust \(receiver.robust ? "yes" : "no")",
            ]
            if receiver.batch { how.append("batch yes") }
            if let uid = receiver.dispatchUID { how.append("dispatch_uid \(uid)") }
            if let cwd = receiver.cwd { how.append("cwd \(cwd)") }
            lines.append("  " + how.joined(separator: ", "))
            if !receiver.environment.isEmpty {
                lines.append("  env: " + receiver.environment.map { ShellQuoting.quote("\($0.name)=\($0.value)") }.joined(separator: " "))
            }
        }
        text = lines.map(TerminalText.escaped).joined(separator: "\n")
    }

}
