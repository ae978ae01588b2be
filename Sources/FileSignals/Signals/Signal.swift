// SPDX-License-Identifier: GPL-2.0-or-later
import Synchronization

/// A signal and its receivers, as Django's `django.dispatch.Signal`: connect Swift closures to it, then send.
///
/// Receivers are called in the order they were connected. A receiver connected with a `sender` only gets
/// signals whose `sender` is that one. Connecting twice with the same `dispatchUID` and sender keeps the
/// first receiver (connecting is idempotent). The list is copied before a send, so a receiver may connect
/// or disconnect others while it runs.
///
/// ```swift
/// Signal.postSave.connect(sender: "Article") { signal in
///     print("saved", signal.instance, signal.created == true ? "(new)" : "")
/// }
/// ```
public final class Signal: Sendable {
    /// What a receiver is: called with the signal, may throw to report a failure.
    public typealias Receiver = @Sendable (SignalPayload) async throws -> Void

    /// Names one connection, to disconnect it.
    public struct Connection: Hashable, Sendable {
        let id: Int
        public let dispatchUID: String?
        public let sender: String?
    }

    /// One receiver's outcome in ``sendRobust(_:)``.
    public struct Response: Sendable {
        public let connection: Connection
        /// Nil when the receiver returned normally.
        public let error: (any Error)?
    }

    /// The signal's name: `post_save`, or a custom signal's.
    public let name: String
    private let state = Mutex(State())

    private struct State {
        var nextID = 0
        var receivers: [(connection: Connection, receiver: Receiver)] = []
    }

    public init(_ name: String) { self.name = name }

    /// `pre_save`: a save of an instance began (or, when it arrived whole, is about to be reported).
    public static let preSave = Signal(ModelSignal.preSave.rawValue)
    /// `post_save`: an instance was saved; `created` says whether it is new.
    public static let postSave = Signal(ModelSignal.postSave.rawValue)
    /// `pre_delete`: an instance is gone and is about to be reported deleted.
    public static let preDelete = Signal(ModelSignal.preDelete.rawValue)
    /// `post_delete`: an instance was deleted.
    public static let postDelete = Signal(ModelSignal.postDelete.rawValue)

    /// The model signal named `name`, or nil.
    public static func modelSignal(named name: String) -> Signal? {
        [preSave, postSave, preDelete, postDelete].first { $0.name == name }
    }

    /// Connects `receiver`, for signals from `sender` only when given.
    ///
    /// - Returns: the connection; with a `dispatchUID` already connected for the same sender, the existing one.
    @discardableResult
    public func connect(sender: String? = nil, dispatchUID: String? = nil, _ receiver: @escaping Receiver) -> Connection {
        state.withLock { state in
            if let dispatchUID, let existing = state.receivers.first(where: { $0.connection.dispatchUID == dispatchUID && $0.connection.sender == sender }) {
                return existing.connection
            }
            let connection = Connection(id: state.nextID, dispatchUID: dispatchUID, sender: sender)
            state.nextID += 1
            state.receivers.append((connection, receiver))
            return connection
        }
    }

    /// Disconnects one connection. - Returns: whether it was connected.
    @discardableResult
    public func disconnect(_ connection: Connection) -> Bool {
        state.withLock { state in
            let before = state.receivers.count
            state.receivers.removeAll { $0.connection == connection }
            return state.receivers.count < before
        }
    }

    /// Disconnects the receiver connected with `dispatchUID` for `sender`. - Returns: whether there was one.
    @discardableResult
    public func disconnect(dispatchUID: String, sender: String? = nil) -> Bool {
        state.withLock { state in
            let before = state.receivers.count
            state.receivers.removeAll { $0.connection.dispatchUID == dispatchUID && $0.connection.sender == sender }
            return state.receivers.count < before
        }
    }

    /// Whether any receiver would get a signal from `sender` (from any sender when nil).
    public func hasListeners(sender: String? = nil) -> Bool {
        !receivers(for: sender).isEmpty
    }

    /// Calls every receiver for `signal.sender`, in order, and stops at the first that throws (Django's `send`).
    ///
    /// - Returns: the connections that were called.
    /// - Throws: the first receiver's error; the receivers after it are not called.
    @discardableResult
    public func send(_ signal: SignalPayload) async throws -> [Connection] {
        var called: [Connection] = []
        for (connection, receiver) in receivers(for: signal.sender) {
            called.append(connection)
            try await receiver(signal)
        }
        return called
    }

    /// Calls every receiver for `signal.sender`, in order, whatever the others do (Django's `send_robust`).
    ///
    /// - Returns: one response per receiver, with its error when it threw.
    @discardableResult
    public func sendRobust(_ signal: SignalPayload) async -> [Response] {
        var responses: [Response] = []
        for (connection, receiver) in receivers(for: signal.sender) {
            do {
                try await receiver(signal)
                responses.append(Response(connection: connection, error: nil))
            } catch {
                responses.append(Response(connection: connection, error: error))
            }
        }
        return responses
    }

    private func receivers(for sender: String?) -> [(connection: Connection, receiver: Receiver)] {
        state.withLock { state in
            state.receivers.filter { entry in sender == nil || entry.connection.sender == nil || entry.connection.sender == sender }
        }
    }
}

extension Bridge {
    /// Watches and sends every signal to the matching model signal (``Signal/postSave`` and the others) with
    /// ``Signal/sendRobust(_:)``, until the calling task is cancelled: the Django API with no INI file.
    ///
    /// - Parameter onFailure: called for each receiver that threw.
    public func dispatchToSignals(onFailure: @escaping @Sendable (SignalPayload, any Error) -> Void = { _, _ in }) async throws {
        try await run { event in
            guard case .signals(let emitted) = event else { return }
            for item in emitted {
                guard let signal = Signal.modelSignal(named: item.payload.signal) else { continue }
                for response in await signal.sendRobust(item.payload) {
                    if let error = response.error { onFailure(item.payload, error) }
                }
            }
        }
    }
}
