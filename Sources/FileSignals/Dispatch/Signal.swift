// SPDX-License-Identifier: GPL-2.0-or-later

/// A signal and its receivers, as Django's `django.dispatch.Signal`: connect Swift closures to it, and
/// `filesignals watch`, `scan` and `send` call them, under the same rules as the config's receivers (order per
/// instance, `jobs`, timeouts, robust or fail-fast, loop protection).
///
/// Receivers are called in the order they were connected. A receiver connected with a `sender` only gets
/// signals whose `sender` is that one. Connecting twice with the same `dispatchUID` and sender keeps the
/// first receiver (connecting is idempotent). A config's receivers are connections too, on the signals their
/// `signal =` names.
///
/// ```swift
/// Signal.postSave.connect(sender: "Article") { signal in
///     print("saved", signal.instance, signal.created == true ? "(new)" : "")
/// }
/// Signal.connect([.postSave, .postDelete], sender: "Image") { signal in try await thumbnails(signal) }
/// let published = Signal("published")   // `filesignals send published ...` reaches its receivers
/// ```
public final class Signal: Sendable {
    /// What a receiver is: called with the signal, may throw to report a failure.
    public typealias Receiver = SwiftReceiver.Body

    /// Names one connection, to disconnect it.
    public struct Connection: Hashable, Sendable {
        let id: Int
        public let dispatchUID: String?
        /// The sender it listens to; nil for every sender.
        public let sender: String?

        init(_ entry: SignalRegistry.Entry) {
            id = entry.id
            dispatchUID = entry.receiver.dispatchUID
            sender = entry.receiver.senders.first
        }
    }

    /// One receiver's outcome in ``sendRobust(_:)``.
    public struct Response: Sendable {
        public let connection: Connection
        /// Nil when the receiver returned normally.
        public let error: (any Error)?
    }

    /// A process or handler receiver that failed in ``send(_:)``: how it ended.
    public struct ReceiverFailed: Error, CustomStringConvertible {
        public let result: ReceiverResult
        public var description: String { result.humanLine }
    }

    /// The signal's name: `post_save`, or a custom signal's.
    public let name: String
    /// Where its receivers are kept.
    public let registry: SignalRegistry

    /// A signal named `name`; the command line finds a custom signal by its name (`filesignals send NAME`).
    public convenience init(_ name: String) { self.init(name, registry: .shared) }

    init(_ name: String, registry: SignalRegistry) {
        self.name = name
        self.registry = registry
        registry.register(self)
    }

    /// `pre_save`: a save of an instance began (or, when it arrived whole, is about to be reported).
    public static let preSave = SignalRegistry.shared.signal(named: ModelSignal.preSave.rawValue)
    /// `post_save`: an instance was saved; `created` says whether it is new.
    public static let postSave = SignalRegistry.shared.signal(named: ModelSignal.postSave.rawValue)
    /// `pre_delete`: an instance is gone and is about to be reported deleted.
    public static let preDelete = SignalRegistry.shared.signal(named: ModelSignal.preDelete.rawValue)
    /// `post_delete`: an instance was deleted.
    public static let postDelete = SignalRegistry.shared.signal(named: ModelSignal.postDelete.rawValue)

    /// The model signal named `name`, or nil.
    public static func modelSignal(named name: String) -> Signal? {
        [preSave, postSave, preDelete, postDelete].first { $0.name == name }
    }

    /// Connects `receiver`, for signals from `sender` only when given.
    ///
    /// - Parameters:
    ///   - dispatchUID: names the receiver (in the log, and in the journal's deliveries, so keep it stable);
    ///     connecting the same one again for the same sender does nothing.
    ///   - timeout: the closure is cancelled after it, and its run is over (10 minutes by default, as for a
    ///     config's receivers); nil for none.
    ///   - robust: false makes a failure stop the receivers after it for that signal (Django's `send`).
    /// - Returns: the connection; with a `dispatchUID` already connected for the same sender, the existing one.
    @discardableResult
    public func connect(
        sender: String? = nil, dispatchUID: String? = nil, timeout: Duration? = .seconds(600), robust: Bool = true,
        fileID: String = #fileID, line: Int = #line, _ receiver: @escaping Receiver
    ) -> Connection {
        Self.connect([self], sender: sender, dispatchUID: dispatchUID, timeout: timeout, robust: robust, fileID: fileID, line: line, receiver)
    }

    /// Connects one receiver to several signals at once (Django's `@receiver([post_save, post_delete], ...)`).
    /// The signals must share a registry.
    @discardableResult
    public static func connect(
        _ signals: [Signal], sender: String? = nil, dispatchUID: String? = nil, timeout: Duration? = .seconds(600), robust: Bool = true,
        fileID: String = #fileID, line: Int = #line, _ receiver: @escaping Receiver
    ) -> Connection {
        let place = "\(fileID):\(line)"
        var declaration = ReceiverDeclaration(
            name: dispatchUID ?? "swift \(place)", position: SourcePosition(line: line, column: 1),
            signals: signals.map(\.name), senders: sender.map { [$0] } ?? [],
            action: .swift(SwiftReceiver(body: receiver, connectedAt: place)))
        declaration.timeout = timeout
        declaration.robust = robust
        declaration.dispatchUID = dispatchUID
        let registry = signals.first?.registry ?? .shared
        precondition(signals.allSatisfy { $0.registry === registry }, "signals connected at once must share a registry")
        return registry.connect(declaration, to: signals)
    }

    /// Disconnects one connection. - Returns: whether it was connected.
    @discardableResult
    public func disconnect(_ connection: Connection) -> Bool {
        registry.disconnect { $0.id == connection.id } > 0
    }

    /// Disconnects the receiver connected with `dispatchUID` for `sender`. - Returns: whether there was one.
    @discardableResult
    public func disconnect(dispatchUID: String, sender: String? = nil) -> Bool {
        let id = ObjectIdentifier(self)
        return registry.disconnect { entry in
            entry.signals.contains(id) && entry.receiver.dispatchUID == dispatchUID && entry.receiver.senders == (sender.map { [$0] } ?? [])
        } > 0
    }

    /// Whether any receiver would get a signal from `sender`; with no sender, whether a receiver for every
    /// sender is connected (Django's `has_listeners`).
    public func hasListeners(sender: String? = nil) -> Bool {
        !registry.entries(of: self, sender: sender).isEmpty
    }

    /// Calls every receiver for `signal.sender` now, in order, and stops at the first that fails (Django's
    /// `send`). Unlike the dispatcher, it does not queue behind other signals of the instance.
    ///
    /// - Returns: the connections that were called.
    /// - Throws: the first failing receiver's error (``ReceiverFailed`` for a process); the rest are not called.
    @discardableResult
    public func send(_ signal: SignalPayload) async throws -> [Connection] {
        var called: [Connection] = []
        for entry in registry.entries(of: self, sender: signal.sender) {
            called.append(Connection(entry))
            let report = await run(entry.receiver, signal)
            if let error = report.error { throw error }
            if report.result.isFailure { throw ReceiverFailed(result: report.result) }
        }
        return called
    }

    /// Calls every receiver for `signal.sender` now, in order, whatever the others do (Django's `send_robust`).
    ///
    /// - Returns: one response per receiver, with its error when it failed.
    @discardableResult
    public func sendRobust(_ signal: SignalPayload) async -> [Response] {
        var responses: [Response] = []
        for entry in registry.entries(of: self, sender: signal.sender) {
            let report = await run(entry.receiver, signal)
            let error = report.error ?? (report.result.isFailure ? ReceiverFailed(result: report.result) : nil)
            responses.append(Response(connection: Connection(entry), error: error))
        }
        return responses
    }

    private func run(_ receiver: ReceiverDeclaration, _ signal: SignalPayload) async -> ReceiverReport {
        await registry.runner.run(receiver, signal, line: signal.jsonLine(), stop: ProcessRunner.StopHandle())
    }
}
