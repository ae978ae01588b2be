// SPDX-License-Identifier: GPL-2.0-or-later

/// One row of the instance table: what the bridge knows of an instance, kept in the state database.
public struct InstanceRecord: Sendable, Hashable {
    /// The model that owns it.
    public var sender: String
    /// Its name relative to the root.
    public var instance: RawPath
    /// Its `lstat` when last seen.
    public var state: InstanceState
    /// SHA-256 of its content (of the link's target text for a symbolic link); nil until computed.
    public var sha256: [UInt8]?

    public init(sender: String, instance: RawPath, state: InstanceState, sha256: [UInt8]? = nil) {
        self.sender = sender
        self.instance = instance
        self.state = state
        self.sha256 = sha256
    }

    /// What differs from `previous`, Django's `update_fields` for files. With both digests known, content
    /// is compared by digest; without them (digests off, a file above their size limit, or not hashed yet)
    /// it counts as changed when the size, the mtime or the inode did: a save is never hidden for want of a
    /// digest, and a `chmod` alone does not say `content`.
    public func changes(since previous: InstanceRecord) -> InstanceChanges {
        var changes: InstanceChanges = []
        if let sha256, let before = previous.sha256 {
            if sha256 != before { changes.insert(.content) }
        } else if state.size != previous.state.size || state.mtimeNanoseconds != previous.state.mtimeNanoseconds || state.inode != previous.state.inode {
            changes.insert(.content)
        }
        if state.mode != previous.state.mode { changes.insert(.mode) }
        if state.owner != previous.state.owner { changes.insert(.owner) }
        if state.mtimeNanoseconds != previous.state.mtimeNanoseconds { changes.insert(.mtime) }
        return changes
    }
}

/// What a save changed: the `changes` list of `post_save`.
public struct InstanceChanges: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let content = InstanceChanges(rawValue: 1)
    public static let mode = InstanceChanges(rawValue: 2)
    public static let owner = InstanceChanges(rawValue: 4)
    public static let mtime = InstanceChanges(rawValue: 8)
    public static let all: InstanceChanges = [.content, .mode, .owner, .mtime]

    /// The names, in the spec's order: `content`, `mode`, `owner`, `mtime`.
    public var names: [String] {
        [(InstanceChanges.content, "content"), (.mode, "mode"), (.owner, "owner"), (.mtime, "mtime")]
            .filter { contains($0.0) }.map(\.1)
    }
}
