// SPDX-License-Identifier: GPL-2.0-or-later
import Synchronization

/// Every receiver of a process, each a connection on one or more ``Signal``s: the closures connected in Swift
/// and the receivers of the config alike. The dispatcher and ``Signal/send(_:)`` both take their receivers
/// from here, through ``receivers(of:from:)``: the one rule that picks a signal's receivers.
///
/// Receivers are picked in the order they were connected: closures connected before the command line starts
/// come before the config's receivers, which come in the order they are declared.
public final class SignalRegistry: Sendable {
    /// The registry of ``Signal/preSave`` and the other model signals, of `Signal("published")`, and of the
    /// command line's receivers.
    public static let shared = SignalRegistry()

    /// One connection: a receiver and the signal objects it is connected to.
    struct Entry: Sendable {
        var id: Int
        var receiver: ReceiverDeclaration
        var signals: Set<ObjectIdentifier>
        /// The signal objects themselves, held while connected: a `Signal` made later at the address of one
        /// that was freed would have its identifier, and so its receivers.
        var held: [Signal]
        /// Connected from a config (replaced on reload), not from Swift.
        var isDeclared: Bool
    }

    private struct State {
        var nextID = 0
        var entries: [Entry] = []
        /// The signal each name stands for when a config connects to it by name: the first one made.
        var canonical: [String: Signal] = [:]
    }

    private let state = Mutex(State())
    /// How ``Signal/send(_:)`` runs receivers that are processes or named handlers: the command line sets
    /// its root and handlers here.
    private let runnerState: Mutex<ReceiverRunner>

    /// A registry of its own (a dispatcher's in a test, say): its signals and receivers are not the shared ones.
    public init() {
        let settings = Dispatcher.Settings(root: RawPath("/"))
        runnerState = Mutex(ReceiverRunner(root: settings.root, handlers: .builtIn, baseEnvironment: settings.baseEnvironment, grace: settings.grace))
    }

    var runner: ReceiverRunner {
        get { runnerState.withLock { $0 } }
        set { runnerState.withLock { $0 = newValue } }
    }

    /// The signal named `name` in this registry, made when there is none yet.
    public func signal(named name: String) -> Signal {
        if let existing = state.withLock({ $0.canonical[name] }) { return existing }
        return Signal(name, registry: self)
    }

    /// Called by every new ``Signal``: the first of a name is the one a config's receivers connect to.
    func register(_ signal: Signal) {
        state.withLock { state in
            if state.canonical[signal.name] == nil { state.canonical[signal.name] = signal }
        }
    }

    /// The names of the signals made so far (custom ones declared in Swift included), sorted.
    public var signalNames: [String] { state.withLock { $0.canonical.keys.sorted() } }

    /// The receivers the signal named `signal` from `sender` reaches, in the order they were connected; of
    /// two under one key (``ReceiverDeclaration/deliveryKey``), the first.
    public func receivers(of signal: String, from sender: String) -> [ReceiverDeclaration] {
        var keys = Set<String>()
        return state.withLock { state in
            state.entries.lazy.map(\.receiver).filter { $0.receives(signal, from: sender) && keys.insert($0.deliveryKey).inserted }
        }
    }

    /// The receivers connected to `signal` itself (not another of the same name), for `sender`, or with
    /// `sender` nil for every sender only (Django's `_live_receivers(None)`).
    func entries(of signal: Signal, sender: String?) -> [Entry] {
        let id = ObjectIdentifier(signal)
        return state.withLock { state in
            state.entries.filter { entry in
                entry.signals.contains(id) && (sender.map(entry.receiver.listens(to:)) ?? entry.receiver.senders.isEmpty)
            }
        }
    }

    /// Every receiver, in the order they are picked: `check` lists them.
    public var all: [ReceiverDeclaration] { state.withLock { $0.entries.map(\.receiver) } }

    /// Every receiver connected from Swift, in order.
    public var connectedInSwift: [ReceiverDeclaration] {
        state.withLock { $0.entries.filter { !$0.isDeclared }.map(\.receiver) }
    }

    /// Connects `receiver` to `signals`. When every signal it would get reaches one connected already under
    /// the same key (``ReceiverDeclaration/isCovered(by:)``: connecting one `dispatchUID` again), nothing is
    /// connected and that connection is returned, as Django's `connect` does. One that shares only some
    /// signals with it is connected; those make one delivery, to the first. A closure without a `dispatchUID`, named
    /// after the line it was connected from, gets a number when that line connects several (a loop).
    func connect(_ receiver: ReceiverDeclaration, to signals: [Signal], isDeclared: Bool = false) -> Signal.Connection {
        connectUnlessSame(receiver, to: signals, isDeclared: isDeclared).connection
    }

    /// ``connect(_:to:isDeclared:)``, telling of an existing receiver under the same key: taken instead
    /// (`isIgnored`), or sharing some signals with it.
    private func connectUnlessSame(
        _ receiver: ReceiverDeclaration, to signals: [Signal], isDeclared: Bool
    ) -> (connection: Signal.Connection, sameAs: ReceiverDeclaration?, isIgnored: Bool) {
        let ids = Set(signals.map(ObjectIdentifier.init))
        return state.withLock { state in
            var receiver = receiver
            if case .swift = receiver.action, receiver.dispatchUID == nil {
                let base = receiver.name
                var number = 1
                while state.entries.contains(where: { $0.receiver.name == receiver.name }) {
                    number += 1
                    receiver.name = "\(base) #\(number)"
                }
            }
            let sharing = state.entries.first { receiver.sharesDeliveries(with: $0.receiver) }
            if let sharing, receiver.isCovered(by: sharing.receiver) {
                return (Signal.Connection(sharing), sharing.receiver, true)
            }
            let entry = Entry(id: state.nextID, receiver: receiver, signals: ids, held: signals, isDeclared: isDeclared)
            state.nextID += 1
            state.entries.append(entry)
            return (Signal.Connection(entry), sharing?.receiver, false)
        }
    }

    /// Removes connections. - Returns: how many there were.
    @discardableResult
    func disconnect(where matches: (Entry) -> Bool) -> Int {
        state.withLock { state in
            let before = state.entries.count
            state.entries.removeAll(where: matches)
            return before - state.entries.count
        }
    }

    /// Connects a config's receivers, replacing those of the config connected before (a reload); receivers
    /// connected in Swift stay. Each is connected to the signals its `signal =` names.
    ///
    /// - Returns: the config's receivers under the key of a closure connected in Swift, each with that
    ///   closure: ignored when the closure gets every signal they would, else sharing some with it.
    @discardableResult
    public func replaceDeclared(with receivers: [ReceiverDeclaration]) -> [KeyClash] {
        disconnect { $0.isDeclared }
        var clashes: [KeyClash] = []
        for receiver in receivers {
            let connected = connectUnlessSame(receiver, to: receiver.signals.map(signal(named:)), isDeclared: true)
            if let same = connected.sameAs { clashes.append(KeyClash(receiver: receiver, sameKeyAs: same, isIgnored: connected.isIgnored)) }
        }
        return clashes
    }

    /// A config's receiver known by the key of a receiver connected before it.
    public struct KeyClash: Sendable {
        public var receiver: ReceiverDeclaration
        public var sameKeyAs: ReceiverDeclaration
        /// Every signal it would get goes to the other: it never runs.
        public var isIgnored: Bool
    }
}
