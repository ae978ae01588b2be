// SPDX-License-Identifier: GPL-2.0-or-later

/// Everything the ``Reconciler`` reads from the disk: the `lstat` of a path, the digest of its content, and
/// whether an unclosed file is whole. Injected, so that the reconciler is a value driven by raw events, a
/// clock and a probe, and its rules can be tested against a fake disk.
public protocol DiskProbe: Sendable {
    /// What is at `path`, without following a symbolic link in it or above it.
    func look(at path: RawPath) -> InstanceState.Look
    /// The SHA-256 of the content at `path` (of a link's target text for a symbolic link), or nil when it
    /// cannot be read or is not `expectedSize` bytes long (it changed while being read).
    func sha256(of path: RawPath, expectedSize: Int64) -> [UInt8]?
    /// Whether what a `CREATE` with no `CLOSE_WRITE` made at `path` is whole already (see
    /// ``InstanceState/arrivedWhole(at:)``).
    func arrivedWhole(at path: RawPath) -> Bool
}

extension DiskProbe {
    /// The state at `path`, or nil when nothing that is an instance is there (or it cannot be looked at now).
    func read(at path: RawPath) -> InstanceState? {
        if case .present(let state) = look(at: path) { return state }
        return nil
    }
}

/// The disk itself.
public struct RealDisk: DiskProbe {
    public init() {}
    public func look(at path: RawPath) -> InstanceState.Look { InstanceState.look(at: path) }
    public func sha256(of path: RawPath, expectedSize: Int64) -> [UInt8]? { ContentHash.sha256(of: path, expectedSize: expectedSize) }
    public func arrivedWhole(at path: RawPath) -> Bool { InstanceState.arrivedWhole(at: path) }
}
