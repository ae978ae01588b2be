// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import FileSignals

/// Connects a config's receivers to the shared ``SignalRegistry``, beside the closures connected in Swift,
/// and warns of each one that a closure makes a duplicate of (it is ignored).
enum ConfigReceivers {
    static func connect(_ receivers: [ReceiverDeclaration]) {
        warn(SignalRegistry.shared.replaceDeclared(with: receivers))
    }

    /// The signals `send`, `explain` and `log` know: the model signals, the config's custom ones, and the custom
    /// ones made in Swift (`Signal("published")`), which count as declared.
    /// - Throws: `ValidationError` when `signal` is none of them.
    static func checkKnown(_ signal: String, in config: ProjectConfig) throws {
        let known = config.signalNames + SignalRegistry.shared.signalNames.filter { !config.signalNames.contains($0) }
        guard known.contains(signal) else {
            throw ValidationError("unknown signal `\(signal)`\(NearestWord.hint(for: signal, among: known)); the config declares \(known.joined(separator: ", "))")
        }
    }

    static func warn(_ ignored: [(ignored: ReceiverDeclaration, sameAs: ReceiverDeclaration)]) {
        for (receiver, closure) in ignored {
            let place: String
            if case .swift(let swift) = closure.action { place = "connected at \(swift.connectedAt)" } else { place = "`\(closure.name)`" }
            Log.warning("receiver `\(receiver.name)` is known as `\(receiver.deliveryKey)`, as the Swift receiver \(place) is, for signals and senders they share: it is taken for the same receiver and is ignored")
        }
    }
}
