// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Testing
import TestSupport

/// `--help` of every command against snapshot files, so that a change to the help is seen in review.
/// Set FILESIGNALS_UPDATE_GOLDEN=1 to rewrite them after a deliberate change.
@Suite("Help text", .ownThreads(timeLimit: .seconds(60)))
struct HelpTests {
    @Test("matches its snapshot", arguments: [[]] + ManPageTests.subcommands.map { [$0] })
    func help(_ command: [String]) throws {
        // A fixed width: the help wraps to the terminal's.
        let output = try RunningCommand(command + ["--help"], environment: ["COLUMNS": "100"]).waitForExit()
        #expect(output.exitStatus == 0)
        let text = output.stdout.joined(separator: "\n") + "\n"
        let snapshot = Repository.golden.appendingPathComponent("help-\(command.first ?? "filesignals").txt")
        if ProcessInfo.processInfo.environment["FILESIGNALS_UPDATE_GOLDEN"] != nil {
            try text.write(to: snapshot, atomically: true, encoding: .utf8)
        }
        #expect(text == (try String(contentsOf: snapshot, encoding: .utf8)))
    }

    @Test("--version prints the version alone")
    func version() throws {
        let output = try RunningCommand(["--version"]).waitForExit()
        #expect(output.exitStatus == 0)
        #expect(output.stdout == ["0.1.0"])
    }
}
