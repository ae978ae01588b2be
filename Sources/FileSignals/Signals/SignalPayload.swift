// SPDX-License-Identifier: GPL-2.0-or-later

/// One signal as it is dispatched and printed: what happened, to which instance of which model.
///
/// This is the value every receiver gets and every JSON line shows (see `SPEC.md` section 6).
public struct SignalPayload: Sendable, Hashable {
    /// Increases by one per signal.
    public var seq: Int64
    /// When the signal was sent.
    public var time: Timestamp
    /// The signal's name: `pre_save`, `post_save`, `pre_delete`, `post_delete` or a custom signal.
    public var signal: String
    /// The model the signal is about.
    public var sender: String
    /// The instance's name: its path relative to the root.
    public var instance: RawPath
    /// The instance's absolute path.
    public var path: RawPath
    /// On `post_save`: whether the instance was not in the instance table before this save. Nil on others.
    public var created: Bool?
    /// What produced the signal.
    public var source: SignalSource
    /// The instance's state: as it is now for saves, as it was last known for deletes.
    public var state: InstanceState?
    /// SHA-256 of the content described by `state`, when known.
    public var sha256: [UInt8]?
    /// On `pre_save` and `post_save`: the state the instance table held before (nil for a new instance).
    public var previous: InstanceState?
    /// SHA-256 the instance table held before, when known.
    public var previousSHA256: [UInt8]?
    /// On `post_save`: what changed against the table (everything for a new instance).
    public var changes: InstanceChanges?
    /// On `post_save` of a renamed instance: the instance it was before.
    public var movedFrom: RawPath?
    /// On `post_delete` of a renamed instance: the instance it became.
    public var movedTo: RawPath?
    /// `--arg KEY=VALUE` of `filesignals send`.
    public var arguments: [String: String] = [:]

    public init(
        seq: Int64, time: Timestamp, signal: String, sender: String, instance: RawPath, path: RawPath,
        created: Bool? = nil, source: SignalSource, state: InstanceState?, previous: InstanceState? = nil
    ) {
        self.seq = seq
        self.time = time
        self.signal = signal
        self.sender = sender
        self.instance = instance
        self.path = path
        self.created = created
        self.source = source
        self.state = state
        self.previous = previous
    }
}

/// What produced a signal, as the `source` field says.
public enum SignalSource: String, Sendable, Hashable {
    /// Seen as it happened.
    case live
    /// Found by the rescan that follows an inotify queue overflow.
    case rescan
    /// Found at start-up, against the state saved when the bridge last ran.
    case catchUp = "catch-up"
    /// A file that existed at start-up, reported because `--initial` asked for it.
    case initial
    /// Fired by `filesignals send`.
    case send
}

/// The four signals every model sends, named as in Django.
public enum ModelSignal: String, Sendable, Hashable, CaseIterable {
    case preSave = "pre_save"
    case postSave = "post_save"
    case preDelete = "pre_delete"
    case postDelete = "post_delete"
}
