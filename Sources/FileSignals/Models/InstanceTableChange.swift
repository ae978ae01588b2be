// SPDX-License-Identifier: GPL-2.0-or-later

/// A change to the instance table, for the state database to record with the signals that report it.
public enum InstanceTableChange: Sendable, Hashable {
    case upsert(RawPath, InstanceRecord)
    case remove(RawPath)
}
