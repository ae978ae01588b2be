// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import FileSignals
import Glibc

/// `filesignals explain PATH`: which model a path belongs to and what a save or delete of it would run.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Tell which model PATH belongs to and what a save or delete of it would run; runs nothing.",
        discussion: """
            Prints the model that owns PATH (or, for each model, the folder, pattern or exclude that keeps it \
            out), the signals a save and a delete would send, and for each receiver that would run, its exact \
            argv, working folder and the variables added to its environment. Exit status 1 when PATH is not an \
            instance of any model.
            """
    )

    @OptionGroup var config: ConfigOptions

    @Argument(help: ArgumentHelp("A file, existing or not, relative to the current folder or absolute.", valueName: "path"))
    var path: String

    @Option(help: ArgumentHelp("Only this signal (a model signal or a custom one).", valueName: "signal"))
    var signal: String?

    init() {}

    func run() throws {
        let loaded = try config.load()
        if let signal { try ConfigReceivers.checkKnown(signal, in: loaded) }
        let absolute = Self.absolutePath(path)
        var output = Explanation(config: loaded, path: absolute, signal: signal)
        // Each line is escaped as it is made: a newline in a name cannot start a line of its own.
        try LineOutput.standardOutput.writeLine(output.text())
        if !output.isInstance { throw ExitCode(1) }
    }

    /// `path` made absolute against the current folder, its folder resolved when it exists. The argument's
    /// exact bytes are used (``RawArguments``): a name that is not UTF-8 is found as it is.
    static func absolutePath(_ path: String) -> RawPath {
        var joined = RawPath(bytes: RawArguments.bytes(of: path))
        if joined.bytes.first != UInt8(ascii: "/") {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX))
            let cwd = getcwd(&buffer, buffer.count).map { RawPath(cString: $0) } ?? RawPath("/")
            joined = cwd.appending(joined)
        }
        var parts = joined.bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true)
        guard let name = parts.popLast(), name.elementsEqual(".".utf8) == false, name.elementsEqual("..".utf8) == false else { return joined }
        let folder = RawPath(bytes: [UInt8(ascii: "/")] + Array(parts.joined(separator: [UInt8(ascii: "/")])))
        if let real = folder.withCString({ realpath($0, nil) }) {
            defer { free(real) }
            return RawPath(cString: real).appending(RawPath(bytes: Array(name)))
        }
        return joined
    }
}

/// What `explain` prints, built from the same models, verdicts and invocations the bridge uses.
struct Explanation {
    let config: ProjectConfig
    let path: RawPath
    let signal: String?
    private(set) var isInstance = false

    init(config: ProjectConfig, path: RawPath, signal: String?) {
        self.config = config
        self.path = path
        self.signal = signal
    }

    mutating func text() -> String {
        let models = config.runtimeModels
        let shownPath = path.relative(to: config.root)?.description ?? path.description
        var lines: [String] = []
        var owner: (Model, Model.Location)?
        var verdicts: [(Model, Model.Verdict)] = []
        for model in models {
            let verdict = model.verdict(for: path)
            if owner == nil, case .instance(let location, _) = verdict { owner = (model, location) }
            verdicts.append((model, verdict))
        }
        guard let (model, location) = owner else {
            lines.append("\(shownPath): not an instance of any model")
            for (model, verdict) in verdicts { lines.append("  \(model.name): " + describe(verdict, of: model)) }
            return lines.map(TerminalText.escaped).joined(separator: "\n")
        }
        isInstance = true
        lines.append("\(shownPath): instance `\(location.instanceName)` of model \(model.name)")
        for (declared, verdict) in verdicts where declared.name == model.name { lines.append("  " + describe(verdict, of: model)) }
        for (other, verdict) in verdicts where other.name != model.name {
            if case .instance = verdict {
                lines.append("  \(other.name): also matches, but \(model.name) is declared first and owns it")
            } else {
                lines.append("  \(other.name): " + describe(verdict, of: other))
            }
        }

        let exists = InstanceState.read(at: path)
        lines.append("a save sends pre_save, then post_save with created: \(exists == nil) (the file \(exists == nil ? "is not there now" : "exists now"))")
        lines.append("a delete sends pre_delete, then post_delete")

        let signals = signal.map { [$0] } ?? ModelSignal.allCases.map(\.rawValue)
        // The config's receivers and the closures connected in Swift, picked as the dispatcher picks them.
        let receivers = SignalRegistry.shared
        ConfigReceivers.connect(config)
        var runs = 0
        for signalName in signals {
            let payload = SignalPayload(
                seq: 0, time: .now(), signal: signalName, sender: model.name, instance: location.instanceName,
                path: path, created: signalName == ModelSignal.postSave.rawValue ? (exists == nil) : nil,
                source: ModelSignal(rawValue: signalName) == nil ? .send : .live, state: exists)
            for receiver in receivers.receivers(of: signalName, from: model.name) {
                runs += 1
                lines.append("")
                lines.append("receiver \(receiver.name), on \(signalName):")
                if receiver.when != .always && signalName == ModelSignal.postSave.rawValue {
                    lines.append("  runs only when: \(receiver.when.rawValue)")
                }
                if receiver.batch {
                    lines.append("  runs once per burst (batch = yes), with every signal of the burst on stdin, one JSON line each:")
                    lines += describe(ReceiverInvocation(receiver: receiver, batchOf: 1, root: config.root))
                } else {
                    lines += describe(ReceiverInvocation(receiver: receiver, signal: payload, root: config.root))
                }
            }
        }
        if runs == 0 { lines.append("no receiver is connected to \(signal.map { "`\($0)`" } ?? "these signals") for \(model.name)") }
        return lines.map(TerminalText.escaped).joined(separator: "\n")
    }

    private func describe(_ verdict: Model.Verdict, of model: Model) -> String {
        switch verdict {
        case .instance(let location, let pattern):
            return "in folder \(folderName(location.folder)), matched by " + (pattern.map { "`\($0.text)`" } ?? "every file (no match patterns)")
        case .outsideFolders:
            return "outside its folders (" + model.folders.map(folderName).joined(separator: " ") + ")"
        case .inSubfolderOfFlatModel(let location):
            return "in a subfolder of \(folderName(location.folder)), and the model has recursive = no"
        case .excluded(_, let exclusion):
            let target = exclusion.matchedPath.description
            let declaration = config.models.first { $0.name == model.name }
            let source: String
            if declaration?.exclude.contains(exclusion.entry.text) == true {
                source = "its exclude"
            } else if config.general.ignore.contains(exclusion.entry.text) {
                source = "the ignore list of [filesignals]"
            } else {
                source = "the default ignore list"
            }
            return "excluded by `\(exclusion.entry.text)` (\(source)), which matches `\(target)`"
        case .matchedNoPattern:
            return "matched by none of " + model.match.map { "`\($0.text)`" }.joined(separator: " ")
        }
    }

    private func folderName(_ folder: Model.Folder) -> String {
        folder.instancePrefix.isEmpty ? "." : folder.instancePrefix.description
    }

    private func describe(_ invocation: ReceiverInvocation) -> [String] {
        var lines: [String] = []
        switch invocation.program {
        case .process(let arguments):
            lines.append("  argv: " + arguments.map { ShellQuoting.quote(bytes: $0) }.joined(separator: " "))
            lines.append("  stdin: the signal as one JSON line")
        case .handler(let name, let options):
            let shown = options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
            lines.append("  Swift handler `\(name)`" + (shown.isEmpty ? "" : " with \(shown)"))
        case .closure(let closure):
            lines.append("  Swift closure connected at \(closure.connectedAt)")
        case .request(let settings):
            // No folder and no environment: a request, whose headers and body say it all.
            return settings.summary.map { "  " + $0 }
        }
        lines.append("  cwd: \(invocation.workingFolder)")
        lines.append("  env (added):")
        for variable in invocation.environment {
            // The seq is only known when the signal happens.
            let value = variable.name == "FILESIGNALS_SEQ" ? "<the signal's seq>" : ShellQuoting.quote(bytes: variable.value)
            lines.append("    \(variable.name)=\(value)")
        }
        return lines
    }
}
