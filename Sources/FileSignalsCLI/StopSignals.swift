// SPDX-License-Identifier: GPL-2.0-or-later
import CProcessSupport
import Foundation
import Glibc

/// Turns SIGINT, SIGTERM and SIGQUIT into a call, so that the command can stop cleanly and exit 0 instead
/// of dying, and SIGHUP into another (reload the config). SIGPIPE is ignored, so that a closed standard
/// output shows up as `EPIPE` from `write`; receivers get default signal dispositions back when they start.
///
/// A C handler writes each signal's number into a pipe, and a thread of its own reads it and makes the call:
/// a signal that arrives at any moment, on any thread, is acted on (a `DispatchSource` needs its own
/// registration to be done first, and a signal ignored meanwhile is gone).
/// It listens for the rest of the process's life: nothing is kept to be released.
enum StopSignals {
    /// Starts listening; `onStop` runs on the listening thread, once per SIGINT, SIGTERM or SIGQUIT
    /// received, and `onReload` once per SIGHUP. Without `onReload` (no config to read again), SIGHUP stops
    /// as SIGTERM does: the terminal hung up, and what runs is stopped cleanly rather than left behind.
    /// SIGUSR1 calls `onOutbox` (`filesignals retry` made deliveries pending), and is otherwise ignored.
    static func listen(onStop: @escaping @Sendable (Int32) -> Void, onReload: (@Sendable () -> Void)? = nil, onOutbox: (@Sendable () -> Void)? = nil) {
        signal(SIGPIPE, SIG_IGN)
        let numbers: [Int32] = [SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGUSR1]
        let readEnd = numbers.withUnsafeBufferPointer { filesignals_signal_pipe($0.baseAddress, Int32($0.count)) }
        guard readEnd >= 0 else {
            Log.warning("cannot catch signals (\(String(cString: strerror(errno)))); SIGINT and SIGTERM will end filesignals at once")
            return
        }
        let thread = Thread {
            filesignals_name_thread("fs-stop-signals")
            var byte: UInt8 = 0
            while true {
                let count = read(readEnd, &byte, 1)
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { return }
                switch Int32(byte) {
                case SIGUSR1: onOutbox?()
                case SIGHUP where onReload != nil: onReload?()
                default: onStop(Int32(byte))
                }
            }
        }
        thread.start()
    }
}
