// SPDX-License-Identifier: GPL-2.0-or-later

/// One problem found in a config file, with where it is: `filesignals.ini:12:5: error: ...`.
package struct ConfigDiagnostic: Hashable, Sendable, CustomStringConvertible {
    /// Whether the problem stops the config from being used.
    package enum Severity: String, Hashable, Sendable {
        /// The config cannot be used (exit 78).
        case error
        /// Worth knowing; the config is still used.
        case warning
    }

    package var severity: Severity
    /// The file as the user named it.
    package var file: String
    package var position: SourcePosition
    /// What is wrong and what was expected, lower case, with the nearest valid word when there is one.
    package var message: String

    package init(_ severity: Severity, file: String, at position: SourcePosition, _ message: String) {
        self.severity = severity
        self.file = file
        self.position = position
        self.message = message
    }

    package var description: String { "\(file):\(position): \(severity.rawValue): \(message)" }
}

/// A config that cannot be used, with every problem found in it (not only the first).
package struct ConfigError: Error, Sendable, CustomStringConvertible {
    /// All diagnostics, errors and warnings, in file order.
    package var diagnostics: [ConfigDiagnostic]

    package init(diagnostics: [ConfigDiagnostic]) { self.diagnostics = diagnostics }

    package var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
