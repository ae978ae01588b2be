// SPDX-License-Identifier: GPL-2.0-or-later
import FileSignals

/// The human log on standard error: one short line per message, prefixed with the program's name.
enum Log {
    static func info(_ message: String) { write(message) }
    static func warning(_ message: String) { write("warning: " + message) }
    static func error(_ message: String) { write("error: " + message) }

    private static func write(_ message: String) {
        // Standard error going away is no reason to stop watching.
        try? LineOutput.standardError.writeLine("filesignals: " + message)
    }
}

extension Log {
    /// Prints each diagnostic on its own line, as compilers do: `file:line:col: error: message`.
    static func diagnostics(_ diagnostics: [ConfigDiagnostic]) {
        for diagnostic in diagnostics {
            try? LineOutput.standardError.writeLine(diagnostic.description)
        }
    }
}
