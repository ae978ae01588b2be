// SPDX-License-Identifier: GPL-2.0-or-later
import Dispatch
import Glibc

/// Turns SIGINT and SIGTERM into a call, so that the command can stop cleanly and exit 0 instead of dying.
/// SIGPIPE is ignored, so that a closed standard output shows up as `EPIPE` from `write`.
final class StopSignals {
    private let sources: [any DispatchSourceSignal]

    /// Starts listening; `onStop` runs on a background queue, once per signal received.
    init(onStop: @escaping @Sendable (Int32) -> Void) {
        signal(SIGPIPE, SIG_IGN)
        sources = [SIGINT, SIGTERM].map { number in
            // The default action would kill the process before the dispatch source sees the signal.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { onStop(number) }
            source.resume()
            return source
        }
    }

    deinit {
        for source in sources { source.cancel() }
    }
}
