// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc
import Testing
import TestSupport

extension RunningCommand {
    /// `filesignals watch --json` started in `folder`, reading the config it finds from there, once ready.
    static func watchingConfig(from folder: URL) throws -> RunningCommand {
        let command = try RunningCommand(["watch", "--json"], in: folder)
        try #require(command.waitUntilReady(), "never ready: \(command.snapshot.stderr)")
        return command
    }

    /// Starts `filesignals watch FOLDER --json EXTRA...` and waits until it is ready.
    static func watching(_ folder: TemporaryFolder, _ extra: [String]) throws -> RunningCommand {
        let command = try RunningCommand(["watch", folder.path, "--json"] + extra)
        try #require(command.waitUntilReady(), "never ready: \(command.snapshot.stderr)")
        return command
    }

    /// Stops the watcher with SIGTERM (which reports what is still settling), checks that it exited 0 with
    /// only JSON lines on stdout, and returns all it printed.
    func stopCleanly(upTo timeout: Duration = .seconds(20)) -> Output {
        send(SIGTERM)
        let output = waitForExit(upTo: timeout)
        #expect(output.exitStatus == 0, "stderr: \(output.stderr)")
        #expect(SignalLine.all(in: output.stdout) != nil, "a stdout line is not JSON: \(output.stdout)")
        return output
    }

    /// Waits until the watcher is ready, then stops it as ``stopCleanly(upTo:)`` does.
    func stopAfterReady() -> Output {
        #expect(waitUntilReady(), "never ready: \(snapshot.stderr)")
        return stopCleanly()
    }
}

