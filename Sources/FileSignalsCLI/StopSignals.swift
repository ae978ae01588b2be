// SPDX-License-Identifier: GPL-2.0-or-later
import Dispatch
import Glibc

/// Turns SIGINT, SIGTERM and SIGQUIT into a call, so that the command can stop cleanly and exit 0 instead
/// of dying, and SIGHUP into another (reload the config). SIGPIPE is ignored, so that a closed standard output shows up
/// as `EPIPE` from `write`; receivers get default signal dispositions back when they start.
final class StopSignals {
    private let sources: [any DispatchSourceSignal]

    /// Starts listening; `onStop` runs on a background queue, once per SIGINT, SIGTERM or SIGQUIT received, and
    /// `onReload` once per SIGHUP (when given; otherwise SIGHUP keeps its default action).
    init(onStop: @escaping @Sendable (Int32) -> Void, onReload: (@Sendable () -> Void)? = nil) {
        signal(SIGPIPE, SIG_IGN)
        let numbers = onReload == nil ? [SIGINT, SIGTERM, SIGQUIT] : [SIGINT, SIGTERM, SIGQUIT, SIGHUP]
        sources = numbers.map { number in
            // The default action would kill the process before the dispatch source sees the signal.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if number == SIGHUP { onReload?() } else { onStop(number) }
            }
            source.resume()
            return source
        }
    }

    deinit {
        for source in sources { source.cancel() }
    }
}
