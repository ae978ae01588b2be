// SPDX-License-Identifier: GPL-2.0-or-later

/// A receiver: what runs, for which signals and senders, and how. A `[receiver NAME]` section declares one;
/// ``Signal/connect(sender:dispatchUID:timeout:robust:file:line:_:)`` makes one of a Swift closure.
public struct ReceiverDeclaration: Sendable, Hashable {
    /// What the receiver runs.
    public enum Action: Sendable, Hashable {
        /// `command =`: run by `/bin/sh -c`.
        case command(String)
        /// `exec =`: the words, run with no shell, placeholders substituted inside each word.
        case exec([String])
        /// `handler =`: a Swift handler by name, with the section's other keys as its options.
        case handler(name: String, options: [String: String])
        /// A closure connected in Swift.
        case swift(SwiftReceiver)
        /// `url =`: each signal POSTed as a CloudEvent, from the outbox (see ``URLReceiverSettings``).
        case url(URLReceiverSettings)
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
    /// `batch = yes`: one run per burst instead of one per signal, with every signal of the burst on stdin (a
    /// JSON line each) and their number in `FILESIGNALS_COUNT`. Only for `command` and `exec`, and an `exec`
    /// without placeholders (a batch has no one file).
    public var batch = false
    /// The process writes straight to the bridge's stdout and stderr, as entr and watchexec run a program:
    /// for a program given on the command line when stdout is not JSON lines.
    package var passesOutputThrough = false
    /// The terminal on stdout is cleared before each run (`--clear`).
    package var clearsTerminal = false

    /// A receiver with the defaults of every other setting (the command line's `watch -- PROGRAM`).
    package init(name: String, position: SourcePosition, signals: [String], senders: [String] = [], action: Action) {
        self.name = name
        self.position = position
        self.signals = signals
        self.senders = senders
        self.action = action
    }

    /// One `KEY=VALUE` of `env`.
    public struct EnvironmentEntry: Sendable, Hashable {
        public var name: String
        public var value: String
    }

    /// What the journal keys this receiver's deliveries by, and what makes two receivers one (Django's
    /// `dispatch_uid`): its `dispatch_uid`, or its name. A reordered config therefore resends nothing.
    public var deliveryKey: String { dispatchUID ?? name }

    /// Whether it runs in the bridge's process (a handler or a closure) rather than as a process of its own.
    public var runsInSwift: Bool {
        switch action {
        case .command, .exec, .url: return false
        case .handler, .swift: return true
        }
    }

    /// The settings of a `url =` receiver, whose deliveries an HTTP deliverer makes from the outbox rather
    /// than the dispatcher; nil for the other kinds.
    public var urlSettings: URLReceiverSettings? {
        if case .url(let settings) = action { return settings }
        return nil
    }

    /// Whether some signal would reach both this receiver and `other` while they have the same
    /// ``deliveryKey``: such a signal makes one delivery, to the one connected first (Django takes two
    /// connections with one `dispatch_uid` and sender for one). Other signals reach each as usual.
    public func sharesDeliveries(with other: ReceiverDeclaration) -> Bool {
        guard deliveryKey == other.deliveryKey, !Set(signals).isDisjoint(with: other.signals) else { return false }
        return senders.isEmpty || other.senders.isEmpty || !Set(senders).isDisjoint(with: other.senders)
    }

    /// Whether every signal that reaches this receiver reaches `other` too, under the same key: connected
    /// after it, this one would never run, and is the same receiver (connecting one `dispatchUID` again).
    public func isCovered(by other: ReceiverDeclaration) -> Bool {
        guard deliveryKey == other.deliveryKey, Set(signals).isSubset(of: other.signals) else { return false }
        return other.senders.isEmpty || (!senders.isEmpty && Set(senders).isSubset(of: other.senders))
    }

    /// Whether a signal from `sender` reaches this receiver (its signal name checked separately).
    public func listens(to sender: String) -> Bool { senders.isEmpty || senders.contains(sender) }

    /// Whether the signal named `signal` from `sender` reaches this receiver: the one rule that picks a
    /// signal's receivers.
    public func receives(_ signal: String, from sender: String) -> Bool { signals.contains(signal) && listens(to: sender) }

    /// Whether it runs for `signal` once picked: `when = created` and `content-changed` only filter `post_save`.
    public func applies(to signal: SignalPayload) -> Bool {
        guard signal.signal == ModelSignal.postSave.rawValue else { return true }
        switch when {
        case .always: return true
        case .created: return signal.created == true
        case .contentChanged: return signal.changes.map { $0.contains(.content) } ?? true
        }
    }
}
