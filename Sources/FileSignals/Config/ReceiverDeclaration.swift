// SPDX-License-Identifier: GPL-2.0-or-later

/// A `[receiver NAME]` section: what runs, for which signals and senders, and how.
public struct ReceiverDeclaration: Sendable, Hashable {
    /// What the receiver runs.
    public enum Action: Sendable, Hashable {
        /// `command =`: run by `/bin/sh -c`.
        case command(String)
        /// `exec =`: the words, run with no shell, placeholders substituted inside each word.
        case exec([String])
        /// `handler =`: a Swift handler by name, with the section's other keys as its options.
        case handler(name: String, options: [String: String])
    }

    /// `on_busy`: what to do when a run of this receiver is still going.
    public enum BusyPolicy: String, Sendable, Hashable, CaseIterable {
        case queue, restart, skip, parallel
    }

    /// `when`: which saves run the receiver.
    public enum Condition: String, Sendable, Hashable, CaseIterable {
        case always, created
        case contentChanged = "content-changed"
    }

    public var name: String
    public var position: SourcePosition
    /// Signals it is connected to, in the order written.
    public var signals: [String]
    /// Senders it listens to; empty means every sender.
    public var senders: [String]
    public var action: Action
    /// Nil for `timeout = none`. Default 10 minutes.
    public var timeout: Duration? = .seconds(600)
    public var onBusy: BusyPolicy = .queue
    public var when: Condition = .always
    /// Whether a failure lets the receivers after it run (Django's `send_robust`). Default yes.
    public var robust = true
    public var dispatchUID: String?
    /// The folder it runs in, relative to the root; nil for the root.
    public var cwd: String?
    /// Extra environment, in the order written.
    public var environment: [EnvironmentEntry] = []

    /// One `KEY=VALUE` of `env`.
    public struct EnvironmentEntry: Sendable, Hashable {
        public var name: String
        public var value: String
    }

    /// Whether a signal from `sender` reaches this receiver (its signal name checked separately).
    public func listens(to sender: String) -> Bool { senders.isEmpty || senders.contains(sender) }

    /// Whether the signal named `signal` from `sender` reaches this receiver: the one rule that picks a
    /// signal's receivers.
    public func receives(_ signal: String, from sender: String) -> Bool { signals.contains(signal) && listens(to: sender) }
}
