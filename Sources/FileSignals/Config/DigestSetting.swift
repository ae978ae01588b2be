// SPDX-License-Identifier: GPL-2.0-or-later

/// `digests` in `[filesignals]` (and `--digests`): whether files' content is read for a digest.
package enum DigestSetting: String, Sendable, Hashable, CaseIterable {
    /// Only when something uses the digests (see ``choice(limit:receivers:printsJSON:)``).
    case auto
    /// Always, for files up to the size limit.
    case yes
    /// Never: content counts as changed whenever the size, the mtime or the inode did.
    case no

    /// What a bridge with these receivers and output does, and why, in words for `check`.
    package struct Choice: Sendable, Hashable {
        package var policy: DigestPolicy
        /// `on for files up to 64M: receiver "site" has when = content-changed`.
        package var explanation: String
        /// Receivers with `when = content-changed` that run for every save of a changed size or mtime,
        /// because digests are off (`digests = no`).
        package var affected: [String]
    }

    /// The one rule for whether content is read: with `auto`, when a receiver has `when = content-changed`
    /// (a save of the same bytes must not run it), when a receiver runs in Swift (a handler or a closure,
    /// which may read `sha256` and `changes` of the signal), or when signals are printed as JSON lines
    /// (which carry them); not for `command`/`exec` receivers alone, nor the short lines on stderr.
    /// - Parameter receivers: the receivers that will run (none with `--no-receivers`).
    package func choice(limit: Int64, receivers: [ReceiverDeclaration], printsJSON: Bool) -> Choice {
        let on = DigestPolicy(sizeLimit: limit)
        let limitText = "on for files up to \(SizeText.format(limit))"
        let contentChanged = receivers.filter { $0.when == .contentChanged }.map(\.name)
        switch self {
        case .yes: return Choice(policy: on, explanation: "\(limitText) (digests = yes)", affected: [])
        case .no:
            return Choice(policy: .off, explanation: "off (digests = no): content counts as changed whenever the size, mtime or inode did", affected: contentChanged)
        case .auto:
            if let name = contentChanged.first {
                return Choice(policy: on, explanation: "\(limitText): receiver \(name) has when = content-changed", affected: [])
            }
            if let swift = receivers.first(where: \.runsInSwift) {
                return Choice(policy: on, explanation: "\(limitText): receiver \(swift.name) runs in Swift and may read them", affected: [])
            }
            if printsJSON { return Choice(policy: on, explanation: "\(limitText): JSON lines carry them", affected: []) }
            return Choice(
                policy: .off,
                explanation: "off: nothing reads them (no receiver with when = content-changed or in Swift, no --json); content counts as changed whenever the size, mtime or inode did",
                affected: [])
        }
    }
}
