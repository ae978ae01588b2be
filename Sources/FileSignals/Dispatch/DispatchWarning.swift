// SPDX-License-Identifier: GPL-2.0-or-later

/// Something that holds receiver runs up without being a run's result.
public enum DispatchWarning: Sendable, Hashable, CustomStringConvertible {
    /// `receiver` cannot start for want of descriptors, processes or memory (`reason`): its runs wait and are
    /// tried again. Told at most once a minute.
    case cannotStartForNow(receiver: String, reason: String)

    public var description: String {
        switch self {
        case .cannotStartForNow(let receiver, let reason):
            return "\(receiver): \(reason); waiting to try again (raise the limit with ulimit -n, or lower jobs)"
        }
    }
}
