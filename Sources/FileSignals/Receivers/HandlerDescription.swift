// SPDX-License-Identifier: GPL-2.0-or-later

/// What the config reader needs to know of a Swift handler: its name and the options its section may set.
public struct HandlerDescription: Sendable, Hashable {
    public var name: String
    /// Option keys the handler reads; nil when it accepts any.
    public var options: [String]?
    /// Option keys it cannot do without.
    public var requiredOptions: [String]

    public init(name: String, options: [String]?, requiredOptions: [String] = []) {
        self.name = name
        self.options = options
        self.requiredOptions = requiredOptions
    }

    /// The handlers shipped in `filesignals`: `log` appends each signal as a JSON line to `file`; `mirror`
    /// keeps a copy of every instance under `to`.
    public static let builtIn: [HandlerDescription] = [
        HandlerDescription(name: "log", options: ["file"], requiredOptions: ["file"]),
        HandlerDescription(name: "mirror", options: ["to"], requiredOptions: ["to"]),
    ]
}
