// SPDX-License-Identifier: GPL-2.0-or-later

/// One problem found in a config file, with where it is: `filesignals.ini:12:5: error: ...`.
public struct ConfigDiagnostic: Hashable, Sendable, CustomStringConvertible {
    /// Whether the problem stops the config from being used.
    public enum Severity: String, Hashable, Sendable {
        /// The config cannot be used (exit 78).
        case error
        /// Worth knowing; the config is still used.
        case warning
    }

    public var severity: Severity
    /// The file as the user named it.
    public var file: String
    public var position: SourcePosition
    /// What is wrong and what was expected, lower case, with the nearest valid word when there is one.
    public var message: String

    public init(_ severity: Severity, file: String, at position: SourcePosition, _ message: String) {
        self.severity = severity
        self.file = file
        self.position = position
        self.message = message
    }

    public var description: String { "\(file):\(position): \(severity.rawValue): \(message)" }
}

/// A config that cannot be used, with every problem found in it (not only the first).
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    /// All diagnostics, errors and warnings, in file order.
    public var diagnostics: [ConfigDiagnostic]

    public init(diagnostics: [ConfigDiagnostic]) { self.diagnostics = diagnostics }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
