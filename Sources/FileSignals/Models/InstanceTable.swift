// SPDX-License-Identifier: GPL-2.0-or-later

/// What the bridge knows of every instance, keyed by absolute path: Django's database table, for files.
///
/// The reconciler derives every signal by comparing what the disk shows now with this table, so the table
/// is changed only together with the signal that reports the change.
public struct InstanceTable: Sendable {
    private var records: [RawPath: InstanceRecord] = [:]

    public init() {}

    /// The number of instances known.
    public var count: Int { records.count }

    /// Whether no instance is known.
    public var isEmpty: Bool { records.isEmpty }

    /// The record of the instance at `path`, or nil when it is not in the table.
    public subscript(path: RawPath) -> InstanceRecord? {
        get { records[path] }
        set { records[path] = newValue }
    }

    /// Every path in the table, in no particular order.
    public var paths: Dictionary<RawPath, InstanceRecord>.Keys { records.keys }

    /// The paths of every instance inside `folder`, at any depth.
    public func paths(under folder: RawPath) -> [RawPath] {
        records.keys.filter { $0.relative(to: folder).map { !$0.isEmpty } ?? false }
    }
}
