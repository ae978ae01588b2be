// SPDX-License-Identifier: GPL-2.0-or-later
import Glibc

/// A file system path as the exact bytes the kernel gave us.
///
/// Linux file names are byte strings: they need not be valid UTF-8. Every path inside FileSignals is kept
/// as bytes so that a name is never altered on its way from inotify to a receiver; it becomes text only
/// for display, where invalid bytes are shown as U+FFFD (see ``description``).
public struct RawPath: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The path's bytes, without a terminating NUL.
    public var bytes: [UInt8]

    /// Creates a path from its bytes.
    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// Creates a path from a Swift string (its UTF-8 bytes).
    public init(_ string: String) { self.bytes = Array(string.utf8) }

    /// Creates a path from a NUL-terminated C string.
    public init(cString: UnsafePointer<CChar>) {
        let length = strlen(cString)
        self.bytes = cString.withMemoryRebound(to: UInt8.self, capacity: length) {
            Array(UnsafeBufferPointer(start: $0, count: length))
        }
    }

    /// The path as text; bytes that are not valid UTF-8 become U+FFFD.
    public var description: String { String(decoding: bytes, as: UTF8.self) }

    /// Whether the bytes are valid UTF-8, so that ``description`` is exact.
    public var isValidUTF8: Bool { String(validating: bytes, as: UTF8.self) != nil }

    public var isEmpty: Bool { bytes.isEmpty }

    /// This path with `component` appended after a `/` (no slash is added to an empty path).
    public func appending(_ component: RawPath) -> RawPath {
        if bytes.isEmpty { return component }
        if component.bytes.isEmpty { return self }
        return joined(with: component.bytes)
    }

    /// This path with the file name `name` appended after a `/` (one per inotify event: in one allocation).
    public func appending(name: ArraySlice<UInt8>) -> RawPath { joined(with: name) }

    /// This path, a `/` unless it is empty or ends in one, and `component`: in one allocation.
    private func joined(with component: some Collection<UInt8>) -> RawPath {
        var joined: [UInt8] = []
        joined.reserveCapacity(bytes.count + 1 + component.count)
        joined.append(contentsOf: bytes)
        if !bytes.isEmpty && bytes.last != UInt8(ascii: "/") { joined.append(UInt8(ascii: "/")) }
        joined.append(contentsOf: component)
        return RawPath(bytes: joined)
    }

    /// The last component: everything after the last `/`.
    public var lastComponent: RawPath {
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return self }
        return RawPath(bytes: Array(bytes[(slash + 1)...]))
    }

    /// The path split before its last component: `/a/b.md` is `/a` and `b.md`, `b.md` is `.` and `b.md`,
    /// `/b.md` is `/` and `b.md`.
    public var folderAndName: (folder: RawPath, name: RawPath) {
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return (RawPath("."), self) }
        let name = RawPath(bytes: Array(bytes[(slash + 1)...]))
        return (slash == 0 ? RawPath("/") : RawPath(bytes: Array(bytes[..<slash])), name)
    }

    /// The deepest folder that holds every one of `paths` (absolute, without a trailing `/`), or `/`.
    public static func commonAncestor(of paths: [RawPath]) -> RawPath {
        guard var common = paths.first?.bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) else { return RawPath("/") }
        for path in paths.dropFirst() {
            let components = path.bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true)
            let shared = zip(common, components).prefix { $0.elementsEqual($1) }.count
            common = Array(common.prefix(shared))
        }
        return RawPath(bytes: common.reduce(into: [UInt8]()) { bytes, component in bytes += [UInt8(ascii: "/")] + component }).nonEmptyOrRoot
    }

    private var nonEmptyOrRoot: RawPath { bytes.isEmpty ? RawPath("/") : self }

    /// The path relative to `ancestor`, or nil when `ancestor` is not this path or one of its parents.
    /// The path equal to `ancestor` is relative to it as the empty path.
    public func relative(to ancestor: RawPath) -> RawPath? {
        let base = ancestor.bytes.last == UInt8(ascii: "/") ? Array(ancestor.bytes.dropLast()) : ancestor.bytes
        guard bytes.count >= base.count, bytes.starts(with: base) else { return nil }
        if bytes.count == base.count { return RawPath(bytes: []) }
        guard bytes[base.count] == UInt8(ascii: "/") else { return nil }
        return RawPath(bytes: Array(bytes[(base.count + 1)...]))
    }

    /// Calls `body` with the path as a NUL-terminated C string, for system calls.
    public func withCString<Result>(_ body: (UnsafePointer<CChar>) throws -> Result) rethrows -> Result {
        // On the stack for the usual path length: this runs for every lstat and open.
        try withUnsafeTemporaryAllocation(of: CChar.self, capacity: bytes.count + 1) { buffer in
            bytes.withUnsafeBytes { source in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: source)
            }
            buffer[bytes.count] = 0
            return try body(buffer.baseAddress!)
        }
    }

    public func hash(into hasher: inout Hasher) {
        // All bytes at once: the synthesized hash feeds them one by one, and paths are hashed on every event.
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    public static func == (lhs: RawPath, rhs: RawPath) -> Bool { lhs.bytes == rhs.bytes }

    public static func < (lhs: RawPath, rhs: RawPath) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }
}
