// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import FileSignals
import Synchronization

/// `filesignals send SIGNAL [INSTANCE...]`: dispatch a signal now, Django's `send_robust` from the shell.
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Dispatch a signal now to its receivers and print each receiver's result.",
        discussion: """
            Each INSTANCE (a file, relative to the current folder or absolute) is sent on its own, with the \
            model that owns it as sender unless --sender says otherwise; a file outside every model is \
            refused. Without INSTANCE, one signal is sent with --sender. Signals carry source `send`, seq 0, \
            and are not journaled. Exit status 1 when any receiver failed.
            """
    )

    @OptionGroup var config: ConfigOptions

    @Argument(help: ArgumentHelp("The signal: a custom one declared with [signal NAME], or a model signal.", valueName: "signal"))
    var signal: String

    @Argument(help: ArgumentHelp("Instances to send it for.", valueName: "instance"))
    var instances: [String] = []

    @Option(help: ArgumentHelp("The sender (default: the model that owns each instance).", valueName: "sender"))
    var sender: String?

    @Option(name: .customLong("arg"), help: ArgumentHelp("KEY=VALUE given to receivers as \"args\" in the JSON and as FILESIGNALS_ARG_KEY (repeatable).", valueName: "key=value"))
    var arguments: [String] = []

    @Flag(help: "Print each result as a JSON line instead of a short line.")
    var json = false

    init() {}

    func run() async throws {
        let loaded = try config.load()
        try ConfigReceivers.checkKnown(signal, in: loaded)
        let registry = SignalRegistry.shared
        var extra: [String: String] = [:]
        for argument in arguments {
            guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else {
                throw ValidationError("--arg takes KEY=VALUE; `\(argument)` has no key or `=`")
            }
            let key = String(argument[..<equals])
            guard key.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }) else {
                throw ValidationError("--arg key `\(key)` must be letters, digits and `_`")
            }
            extra[key] = String(argument[argument.index(after: equals)...])
        }
        let payloads = try instances.isEmpty ? [payload(sender: sender ?? "", instance: RawPath(""), path: loaded.root, extra)] : instances.map { try payload(for: $0, in: loaded, extra) }

        let failures = FailureCount()
        let printsJSON = json
        ConfigReceivers.connect(loaded)
        let dispatcher = Dispatcher(
            registry: registry, handlers: FileSignalsCLI.handlers,
            settings: .init(root: loaded.root, jobs: loaded.general.jobs, loopLimit: Int.max)
        ) { report in
            if report.result.isFailure { failures.add() }
            ReceiverLog.logOutput(of: report)
            if printsJSON {
                try? LineOutput.standardOutput.write(report.result.jsonLine())
            } else {
                try? LineOutput.standardOutput.writeLine(TerminalText.escaped(report.result.humanLine))
            }
        }
        // A url receiver sends from the outbox that `watch` fills; `send` records nothing, so it sends nothing.
        for receiver in registry.all where receiver.urlSettings != nil && payloads.contains(where: { receiver.receives($0.signal, from: $0.sender) }) {
            Log.info("receiver \(receiver.name) is a url receiver: only `watch` sends to it (send records nothing in the outbox)")
        }
        var anyReceiver = false
        for payload in payloads {
            if dispatcher.hasReceivers(for: payload.signal, sender: payload.sender) { anyReceiver = true }
            await dispatcher.dispatch(payload)
        }
        await dispatcher.waitUntilIdle()
        if !anyReceiver { Log.info("no receiver is connected to `\(signal)` for these senders") }
        if failures.count > 0 { throw ExitCode(1) }
    }

    private func payload(for argument: String, in config: ProjectConfig, _ extra: [String: String]) throws -> SignalPayload {
        let path = ExplainCommand.absolutePath(argument)
        for model in config.runtimeModels {
            if case .instance(let location, _) = model.verdict(for: path) {
                return payload(sender: sender ?? model.name, instance: location.instanceName, path: path, extra)
            }
        }
        // Not a usage error (the command line is well formed): the file is not what the config watches.
        Log.error("\(argument) is not an instance of any model; `filesignals explain \(argument)` tells why")
        throw ExitCodes.dataError
    }

    private func payload(sender: String, instance: RawPath, path: RawPath, _ extra: [String: String]) -> SignalPayload {
        var payload = SignalPayload(
            seq: 0, time: .now(), signal: signal, sender: sender, instance: instance, path: path,
            source: .send, state: InstanceState.read(at: path))
        payload.arguments = extra
        return payload
    }
}
