// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import FileSignals
import Foundation
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

    @Flag(help: "Run once per burst (a checkout, a build writing many files) instead of once per signal, with every signal of the burst on stdin, one JSON line each, and their number in FILESIGNALS_COUNT (batch = yes).")
    var batch = false

    @Flag(name: .customLong("run-first"), help: "Run the program once at start, as soon as watching is ready, before any change.")
    var runFirst = false

    @Flag(help: "Clear the terminal before each run (when standard output is one).")
    var clear = false

    /// The words after `--`: a program and its arguments. Taken from the command line before it is parsed
    /// (``FileSignalsCLI/main(handlers:arguments:)``), because the parser allows no positional argument after
    /// the folders' list.
    static let program = Mutex<[String]>([])

    private var program: [String] { Self.program.withLock { $0 } }

    /// The receiver's name in logs and in the journal's deliveries.
    static let name = "command line"

    func validate() throws {
        if shell != nil && !program.isEmpty { throw ValidationError("give a program after -- or --shell, not both") }
        if program.isEmpty && shell == nil && (signals != nil || restart || batch || runFirst || clear) {
            throw ValidationError("--on, --restart, --batch, --run-first and --clear say how a program runs; give one after -- (or --shell 'CMD')")
        }
        if !program.isEmpty {
            // A batch run, or the first run, serves no one file: no placeholder but {root} has a value there.
            let refusals = ExecWords.refusals(of: program, batch: batch || runFirst)
            if !refusals.isEmpty {
                throw ValidationError(refusals.map { refusal in
                    if case .placeholderInBatch(let name) = refusal {
                        return batch
                            ? "with --batch, `{\(name)}` has no one value: a run serves a whole burst; read the signals from stdin, one JSON line each"
                            : "with --run-first, `{\(name)}` has no value in the first run, which serves no file"
                    }
                    return refusal.message(for: program)
                }.joined(separator: "; "))
            }
        }
        if signals != nil && chosenSignals.isEmpty { throw ValidationError("--on names no signal; give some of post_save, post_delete, pre_save, pre_delete") }
        if let name = program.first, Self.executable(named: name) == nil {
            throw ValidationError("no program `\(name)`\(name.contains("/") ? "" : " on PATH") that can be run")
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
    /// - Parameter printsJSON: stdout carries JSON lines (`--json`); otherwise the program writes straight to
    ///   the terminal, as entr and watchexec run one.
    func declaration(printsJSON: Bool) -> ReceiverDeclaration? {
        let action: ReceiverDeclaration.Action
        if let shell { action = .command(shell) } else if !program.isEmpty { action = .exec(program) } else { return nil }
        var receiver = ReceiverDeclaration(name: Self.name, position: SourcePosition(line: 0, column: 0), signals: chosenSignals, action: action)
        if restart { receiver.onBusy = .restart }
        receiver.batch = batch
        receiver.passesOutputThrough = !printsJSON
        receiver.clearsTerminal = clear
        // In the folder filesignals was started from, as entr and watchexec run a program (`watch src -- make`).
        receiver.cwd = FileManager.default.currentDirectoryPath
        return receiver
    }

    /// The file `name` runs: itself when it has a `/` (from the current folder), else the first on `PATH`.
    static func executable(named name: String) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { access($0, X_OK) == 0 }
    }
}
