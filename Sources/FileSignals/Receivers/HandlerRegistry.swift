// SPDX-License-Identifier: GPL-2.0-or-later

/// The Swift handlers a config's `handler = NAME` can name: the built-in `log` and `mirror`, and a user's own.
///
/// ```swift
/// var handlers = HandlerRegistry.builtIn
/// handlers.register("thumbnail") { signal in try await makeThumbnail(signal.path) }
/// await FileSignalsCLI.main(handlers: handlers)
/// ```
public struct HandlerRegistry: Sendable {
    /// What a handler gets besides the signal: its section's other keys, and the root.
    public struct Context: Sendable {
        /// The receiver section's keys that are not receiver keys (`file = ...` for `log`).
        public var options: [String: String]
        /// The folder the config is in; relative option paths are relative to it.
        public var root: RawPath
        /// The receiver's name.
        public var receiver: String

        /// `option` as an absolute path: relative to the root unless it starts with `/`.
        public func path(_ option: String) -> String? {
            guard let value = options[option] else { return nil }
            return value.hasPrefix("/") ? value : root.description + "/" + value
        }
    }

    /// A handler with its context.
    public typealias Handler = @Sendable (SignalPayload, Context) async throws -> Void

    private var entries: [String: (description: HandlerDescription, handler: Handler)] = [:]

    /// No handlers.
    public init() {}

    /// The handlers shipped in `filesignals`: `log` and `mirror`.
    public static var builtIn: HandlerRegistry {
        var registry = HandlerRegistry()
        for (description, handler) in BuiltInHandlers.all { registry.register(description, handler) }
        return registry
    }

    /// Registers a handler that takes any options and needs only the signal.
    public mutating func register(_ name: String, _ handler: @escaping @Sendable (SignalPayload) async throws -> Void) {
        entries[name] = (HandlerDescription(name: name, options: nil), { signal, _ in try await handler(signal) })
    }

    /// Registers a handler with the option keys its sections may set, and those they must.
    public mutating func register(_ name: String, options: [String], required: [String] = [], _ handler: @escaping Handler) {
        register(HandlerDescription(name: name, options: options, requiredOptions: required), handler)
    }

    /// Registers a handler as `description` describes it (with what it writes, for the config to check).
    public mutating func register(_ description: HandlerDescription, _ handler: @escaping Handler) {
        entries[description.name] = (description, handler)
    }

    /// What the config reader checks sections against, sorted by name.
    public var descriptions: [HandlerDescription] {
        entries.values.map(\.description).sorted { $0.name < $1.name }
    }

    /// The handler registered as `name`.
    public func handler(named name: String) -> Handler? { entries[name]?.handler }
}
