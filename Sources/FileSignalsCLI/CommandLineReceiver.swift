// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import FileSignals
import Synchronization

/// A receiver given on the command line, as entr and watchexec users expect: `watch -- PROGRAM ARGS` runs the
/// program for each signal as an `exec =` receiver does (no shell; `{path}` and the other placeholders each
/// stay one argument; the environment and the JSON on stdin), `--shell 'CMD'` runs a shell line as a
/// `command =` receiver does.
struct CommandLineReceiver: ParsableArguments {
    @Option(help: ArgumentHelp("Run this shell line for each signal, as a `command =` receiver (the file is in $FILESIGNALS_PATH, never in the text).", valueName: "command"))
    var shell: String?

    @Option(name: .customLong("on"), help: ArgumentHelp("The signals that run the program or --shell, comma-separated (default: post_save,post_delete).", valueName: "signals"))
    var signals: String?

    @Flag(help: "Stop a run still going when the next signal comes, and start again (on_busy = restart): for a dev server.")
    var restart = false

    /// The words after `--`: a program and its arguments. Taken from the command line before it is parsed
    /// (``FileSignalsCLI/main(handlers:arguments:)``), because the parser allows no positional argument after
    /// the folders' list.
    static let program = Mutex<[String]>([])

    private var program: [String] { Self.program.withLock { $0 } }

    /// The receiver's name in logs and in the journal's deliveries.
    static let name = "command line"

    func validate() throws {
        if shell != nil && !program.isEmpty { throw ValidationError("give a program after -- or --shell, not both") }
        if program.isEmpty && shell == nil && (signals != nil || restart) {
            throw ValidationError("--on and --restart say how a program runs; give one after -- (or --shell 'CMD')")
        }
        if !program.isEmpty {
            let refusals = ExecWords.refusals(of: program)
            if !refusals.isEmpty { throw ValidationError(refusals.map { $0.message(for: program) }.joined(separator: "; ")) }
        }
        let known = ModelSignal.allCases.map(\.rawValue)
        for signal in chosenSignals where !known.contains(signal) {
            throw ValidationError("--on: unknown signal `\(signal)`\(NearestWord.hint(for: signal, among: known)); expected some of \(known.joined(separator: ", "))")
        }
    }

    private var chosenSignals: [String] {
        (signals ?? "post_save,post_delete").split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)
    }

    /// The receiver, or nil when none was given.
    var declaration: ReceiverDeclaration? {
        let action: ReceiverDeclaration.Action
        if let shell { action = .command(shell) } else if !program.isEmpty { action = .exec(program) } else { return nil }
        var receiver = ReceiverDeclaration(name: Self.name, position: SourcePosition(line: 0, column: 0), signals: chosenSignals, action: action)
        if restart { receiver.onBusy = .restart }
        return receiver
    }
}
