// SPDX-License-Identifier: GPL-2.0-or-later
import Glibc

/// The bytes of many names kept together in large chunks, each referred to by a ``Span``: what lets
/// ``InstanceTable`` and ``FolderTable`` keep a name as a span of eight bytes instead of a heap array of its
/// own.
///
/// Bytes of names that are let go stay where they are until ``isMostlyWaste``; the table then copies what
/// is still used into a new store.
struct TextStore: Sendable {
    /// Where one text is: its first byte (chunk number × ``chunkSize`` + offset) and its length.
    struct Span: Sendable {
        var start: UInt32
        var length: UInt16
    }

    private static let chunkSize = 1 << 18
    private var chunks: [[UInt8]] = []
    private var usedBytes = 0
    private var releasedBytes = 0

    /// Stores `bytes` (at most 65,535 of them: a path is at most 4,096) and returns where they are.
    mutating func append(_ bytes: some Collection<UInt8>) -> Span {
        precondition(bytes.count <= Int(UInt16.max), "a path longer than any the kernel accepts")
        if chunks.isEmpty || chunks[chunks.count - 1].count + bytes.count > Self.chunkSize {
            chunks.append([])
            chunks[chunks.count - 1].reserveCapacity(Self.chunkSize)
        }
        let last = chunks.count - 1
        let start = UInt32(last * Self.chunkSize + chunks[last].count)
        chunks[last].append(contentsOf: bytes)
        usedBytes += bytes.count
        return Span(start: start, length: UInt16(bytes.count))
    }

    /// The bytes of `span`.
    func bytes(_ span: Span) -> [UInt8] {
        withBytes(span) { Array($0) }
    }

    /// The bytes of `span` as a path.
    func path(_ span: Span) -> RawPath { RawPath(bytes: bytes(span)) }

    /// Whether `span` holds exactly `other`.
    func equals(_ span: Span, _ other: UnsafeBufferPointer<UInt8>) -> Bool {
        guard Int(span.length) == other.count else { return false }
        return withBytes(span) { mine in
            mine.isEmpty || memcmp(mine.baseAddress!, other.baseAddress!, mine.count) == 0
        }
    }


    /// Notes that `span` is no longer used.
    mutating func release(_ span: Span) {
        releasedBytes += Int(span.length)
    }

    /// Whether more than half of the bytes kept (and at least 256 KiB) belong to released spans.
    var isMostlyWaste: Bool { releasedBytes > 1 << 18 && releasedBytes * 2 > usedBytes }

    private func withBytes<Result>(_ span: Span, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        let chunk = Int(span.start) / Self.chunkSize, offset = Int(span.start) % Self.chunkSize
        return chunks[chunk].withUnsafeBufferPointer { all in
            body(UnsafeBufferPointer(rebasing: all[offset..<(offset + Int(span.length))]))
        }
    }
}
