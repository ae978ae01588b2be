// SPDX-License-Identifier: GPL-2.0-or-later

/// Something the bridge has to tell that does not stop it.
public enum BridgeWarning: Sendable, CustomStringConvertible {
    /// From the watcher: a folder skipped, a top folder gone or back.
    case watcher(WatcherWarning)
    /// The kernel's event queue overflowed: every folder is rescanned to find what changed.
    case queueOverflowed
    /// The state database refused a batch (said once until a batch is saved again): the last saved state stays.
    case stateNotSaved(StateError)

    public var description: String {
        switch self {
        case .watcher(let warning): return warning.description
        case .queueOverflowed: return "the inotify queue overflowed; rescanning to find what changed"
        case .stateNotSaved(let error): return "state not saved, the last saved state stays: \(error)"
        }
    }
}
