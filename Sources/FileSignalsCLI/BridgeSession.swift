// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import FileSignals
import Foundation

/// Runs a bridge for `watch` and `scan`: prints each signal (a JSON line on stdout, or a short line on
/// stderr), stops on SIGINT or SIGTERM, and stops quietly when the reader of stdout goes away.
enum BridgeSession {
    static func run(_ bridge: Bridge, json: Bool) async throws {
        let watching = Task {
            try await bridge.run { event in
                switch event {
                case .replay(let entries):
                    Log.info("\(entries.count) signal\(entries.count == 1 ? "" : "s") of the last run had not finished; sending them again")
                    for entry in entries {
                        if json { try LineOutput.standardOutput.write(entry.lineForRedispatch + [UInt8(ascii: "\n")]) }
                    }
                case .signals(let signals):
                    for signal in signals {
                        if json {
                            try LineOutput.standardOutput.write(signal.line)
                        } else {
                            Log.info(signal.payload.humanLine())
                        }
                    }
                case .ready(let folders, let files):
                    Log.info("watching \(folders) folder\(folders == 1 ? "" : "s"), \(files) file\(files == 1 ? "" : "s"); ready")
                case .warning(let message):
                    Log.warning(message)
                }
            }
        }
        let stopSignals = StopSignals { _ in watching.cancel() }
        defer { withExtendedLifetime(stopSignals) {} }
        if json {
            Thread.detachNewThread {
                LineOutput.standardOutput.waitUntilReaderCloses()
                watching.cancel()
            }
        }
        do {
            try await watching.value
        } catch let error as WatcherError {
            Log.error(error.description)
            throw ExitCodes.status(for: error)
        } catch let error as StateError {
            Log.error(error.description)
            throw ExitCodes.status(for: error)
        } catch is LineOutput.Closed {
            // The reader went away (`| head -1`): nothing left to do, and nothing to complain about.
        }
    }
}
