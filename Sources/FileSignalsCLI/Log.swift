// SPDX-License-Identifier: GPL-2.0-or-later
import FileSignals
import Foundation
import Glibc
import Synchronization

/// The human log on standard error (written by ``LogWriter``, never blocking): one short line per message, prefixed with the program's name, coloured
/// only when standard error is a terminal and `NO_COLOR` is not set (https://no-color.org). Control
/// characters in a message (a file name's newline or escape sequence) are written out, never obeyed.
enum Log {
    /// How much is shown: `-q` only errors (failed receivers among them), `-v` also raw events and the files walks find.
    enum Level: Int, Sendable, Comparable {
        case quiet, normal, verbose
        static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// A colour for part of a line.
    enum Colour: String, Sendable {
        case red = "31", green = "32", yellow = "33", blue = "34", dim = "2"
    }

    private static let settings = Mutex((level: Level.normal, colours: Log.coloursWanted(), progressShown: false))

    static var level: Level {
        get { settings.withLock { $0.level } }
        set { settings.withLock { $0.level = newValue } }
    }

    /// Whether lines get colours: a terminal on stderr, `NO_COLOR` unset, and not a dumb terminal.
    static func coloursWanted(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        isatty(2) == 1 && (environment["NO_COLOR"] ?? "").isEmpty && environment["TERM"] != "dumb"
    }

    static func info(_ message: String, colour: Colour? = nil) {
        guard level >= .normal else { return }
        write(paint(TerminalText.escaped(message), colour))
    }

    /// A line that rewrites itself (`scanning: 12000 files`), on a terminal only; the next line replaces it.
    static func progress(_ message: String) {
        guard level >= .normal, isatty(2) == 1 else { return }
        settings.withLock { $0.progressShown = true }
        LogWriter.standardError.write(Array("\rfilesignals: \(TerminalText.escaped(message))\u{1B}[K".utf8))
    }

    /// Raw events and the files walks find, with `-v` only.
    static func debug(_ message: String) {
        guard level >= .verbose else { return }
        write(paint(TerminalText.escaped(message), .dim))
    }

    static func warning(_ message: String) {
        guard level >= .normal else { return }
        write(paint("warning:", .yellow) + " " + TerminalText.escaped(message))
    }

    static func error(_ message: String) { write(paint("error:", .red) + " " + TerminalText.escaped(message)) }

    /// `text` in `colour` when colours are on.
    static func paint(_ text: String, _ colour: Colour?) -> String {
        guard let colour, settings.withLock({ $0.colours }) else { return text }
        return "\u{1B}[\(colour.rawValue)m\(text)\u{1B}[0m"
    }

    /// The colour of a signal's line: saves green, deletes red, custom signals blue.
    static func colour(ofSignal name: String) -> Colour {
        switch name {
        case ModelSignal.postSave.rawValue, ModelSignal.preSave.rawValue: return .green
        case ModelSignal.postDelete.rawValue, ModelSignal.preDelete.rawValue: return .red
        default: return .blue
        }
    }

    private static func write(_ message: String) {
        // A progress line on the screen is cleared first.
        let clear = settings.withLock { state in
            defer { state.progressShown = false }
            return state.progressShown ? "\r\u{1B}[K" : ""
        }
        // Written by a thread of its own: a reader of stderr that stops reading never holds anything up.
        LogWriter.standardError.write(Array((clear + "filesignals: " + message + "\n").utf8))
    }
}

extension Log {
    /// Prints each diagnostic on its own line, as compilers do: `file:line:col: error: message`.
    static func diagnostics(_ diagnostics: [ConfigDiagnostic]) {
        for diagnostic in diagnostics {
            LogWriter.standardError.write(Array((TerminalText.escaped(diagnostic.description) + "\n").utf8))
        }
    }
}
