// SPDX-License-Identifier: GPL-2.0-or-later

/// What the config reader needs to know of a Swift handler: its name and the options its section may set.
public struct HandlerDescription: Sendable, Hashable {
    public var name: String
    /// Option keys the handler reads; nil when it accepts any.
    public var options: [String]?
    /// Option keys it cannot do without.
    public var requiredOptions: [String]
    /// What it writes, named by one of its options: the config refuses a target inside a model the receiver
    /// gets signals of (each write would fire it again).
    public var writes: Target?

    /// A place a handler writes into.
    public enum Target: Sendable, Hashable {
        /// One file, named by the option (`log`'s `file`).
        case file(option: String)
        /// Files below a folder named by the option, under the instances' names (`mirror`'s `to`).
        case folder(option: String)
    }

    public init(name: String, options: [String]?, requiredOptions: [String] = [], writes: Target? = nil) {
        self.name = name
        self.options = options
        self.requiredOptions = requiredOptions
        self.writes = writes
    }

    /// The handlers shipped in `filesignals` (``HandlerRegistry/builtIn``).
    public static var builtIn: [HandlerDescription] { HandlerRegistry.builtIn.descriptions }
}
