// SPDX-License-Identifier: GPL-2.0-or-later

/// Something the bridge has to tell that does not stop it.
public enum BridgeWarning: Sendable, CustomStringConvertible {
    /// From the watcher: a folder skipped, a top folder gone or back.
    case watcher(WatcherWarning)
    /// The kernel's event queue overflowed: every folder is rescanned to find what changed.
    case queueOverflowed
    /// The state database refused a batch (said once until a batch is saved again): the last saved state stays.
    case stateNotSaved(StateError)
    /// `--since`: the journal no longer holds the signals `missing` (kept for `journal`), or `seq` is beyond
    /// the last signal recorded (`missing` empty, `last` the last seq).
    case journalGap(since: Int64, missing: ClosedRange<Int64>?, last: Int64)

    public var description: String {
        switch self {
        case .watcher(let warning): return warning.description
        case .queueOverflowed: return "the inotify queue overflowed; rescanning to find what changed"
        case .stateNotSaved(let error): return "state not saved, the last saved state stays: \(error)"
        case .journalGap(let since, let missing?, _):
            let which = missing.count == 1 ? "signal \(missing.lowerBound) is" : "signals \(missing.lowerBound) to \(missing.upperBound) are"
            return "\(which) no longer in the journal (done signals are kept for `journal`, default 7d): the lines after \(since) start at \(missing.upperBound + 1)"
        case .journalGap(let since, nil, let last):
            return "--since \(since) is beyond the last signal recorded (\(last)): is this the state database the lines came from?"
        }
    }
}
