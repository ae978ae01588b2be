// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import FileSignals

/// Connects a config's receivers to the shared ``SignalRegistry``, beside the closures connected in Swift,
/// and warns of each one that a closure makes a duplicate of (it is ignored).
enum ConfigReceivers {
    static func connect(_ config: ProjectConfig) {
        warn(SignalRegistry.shared.replaceDeclared(with: config.receivers), file: config.file)
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

    /// Warns, at the config receiver's place in `file`, of each one known by a closure's key.
    static func warn(_ clashes: [SignalRegistry.KeyClash], file: String) {
        for clash in clashes {
            let place: String
            if case .swift(let swift) = clash.sameKeyAs.action { place = "the Swift receiver connected at \(swift.connectedAt)" } else { place = "`\(clash.sameKeyAs.name)`" }
            let outcome = clash.isIgnored
                ? "it gets no signal that \(place) does not get first, and is ignored"
                : "a signal both would get runs \(place) only"
            Log.warning("\(file):\(clash.receiver.position): receiver `\(clash.receiver.name)` is known as `\(clash.receiver.deliveryKey)`, as \(place) is: \(outcome); give one of them a dispatch_uid of its own")
        }
    }
}
