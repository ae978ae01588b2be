// SPDX-License-Identifier: GPL-2.0-or-later

/// Which instances have their content read for a SHA-256 digest. A digest is what lets `changes` leave out
/// `content` when a save rewrote the same bytes, and `when = content-changed` skip such a save; it costs a
/// read of the whole file at every save and, once, at the first walk. Without a digest (digests off, or a
/// file above the size limit), content counts as changed whenever the size, the mtime or the inode did.
public struct DigestPolicy: Sendable, Hashable {
    /// The largest file whose content is read; nil when no content is read at all.
    public var sizeLimit: Int64?

    public init(sizeLimit: Int64?) {
        self.sizeLimit = sizeLimit
    }

    /// The default size limit, 64 MiB: about a tenth of a second of reading and hashing on a slow disk,
    /// which holds up every other signal while it goes on (hashing is done on the watcher's thread).
    public static let defaultSizeLimit: Int64 = 64 << 20
    /// Digests for every file up to the default size limit.
    public static let standard = DigestPolicy(sizeLimit: defaultSizeLimit)
    /// No content is read.
    public static let off = DigestPolicy(sizeLimit: nil)

    /// Whether any content is read.
    public var isOn: Bool { sizeLimit != nil }

    /// Whether the content of a file in `state` is read.
    public func covers(_ state: InstanceState) -> Bool {
        sizeLimit.map { state.size <= $0 } ?? false
    }
}
