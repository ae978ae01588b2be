// SPDX-License-Identifier: GPL-2.0-or-later
import FileSignals

/// How receiver runs show up: a short line per run on stderr, the receiver's own output prefixed with its
/// name, and with `--results` a JSON line per run on stdout.
enum ReceiverLog {
    /// Lines of a receiver's output shown per stream and run; the rest is counted.
    static let lineLimit = 50

    static func reporter(results: Bool) -> @Sendable (Dispatcher.Report) -> Void {
        { report in
            logOutput(of: report)
            if report.result.isFailure {
                // An error, shown with -q too: under cron or systemd a failed receiver is what one must see.
                Log.error(report.result.humanLine)
            } else {
                Log.info(report.result.humanLine, colour: .dim)
            }
            if results { try? BridgeSession.standardOutput.write(report.result.jsonLine()) }
        }
    }

    /// The receiver's own output, prefixed with its name: at most ``lineLimit`` lines per stream (the rest
    /// counted), as `watch` and `send` both show it.
    static func logOutput(of report: Dispatcher.Report) {
        for stream in [report.standardOutput, report.standardError] where !stream.isEmpty {
            let lines = stream.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            let shown = lines.prefix(lineLimit).filter { !$0.isEmpty }
            for line in shown { Log.info("\(report.result.receiver): " + String(decoding: line, as: UTF8.self)) }
            if lines.count > lineLimit { Log.info("\(report.result.receiver): ... \(lines.count - lineLimit) more lines not shown") }
        }
        if report.droppedBytes > 0 {
            Log.info("\(report.result.receiver): ... \(report.droppedBytes) more bytes of output not kept")
        }
    }
}
