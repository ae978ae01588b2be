// SPDX-License-Identifier: GPL-2.0-or-later
import Glibc

/// The bytes of many names kept together in large chunks, each referred to by a ``Span``: what lets
/// ``InstanceTable`` and ``FolderTable`` keep a name as a span of eight bytes instead of a heap array of its
/// own.
///
/// Bytes of names that are let go stay where they are until ``isMostlyWaste``; the table then copies what
/// is still used into a new store.
struct TextStore: Sendable {
    /// Where one text is: the position of its two-byte length (chunk number × ``chunkSize`` + offset), its
    /// bytes right after. Four bytes in all, which is what keeps a table row small.
    struct Span: Sendable {
        var start: UInt32
    }

    private static let chunkSize = 1 << 18
    private var chunks: [[UInt8]] = []
    private var usedBytes = 0
    private var releasedBytes = 0

    /// Stores `bytes` (at most 65,535 of them: a path is at most 4,096) and returns where they are.
    mutating func append(_ bytes: some Collection<UInt8>) -> Span {
        precondition(bytes.count <= Int(UInt16.max), "a path longer than any the kernel accepts")
        let stored = 2 + bytes.count
        if chunks.isEmpty || chunks[chunks.count - 1].count + stored > Self.chunkSize {
            chunks.append([])
            chunks[chunks.count - 1].reserveCapacity(Self.chunkSize)
        }
        let last = chunks.count - 1
        let start = UInt32(last * Self.chunkSize + chunks[last].count)
        chunks[last].append(UInt8(truncatingIfNeeded: bytes.count))
        chunks[last].append(UInt8(truncatingIfNeeded: bytes.count >> 8))
        chunks[last].append(contentsOf: bytes)
        usedBytes += stored
        return Span(start: start)
    }

    /// The bytes of `span`.
    func bytes(_ span: Span) -> [UInt8] {
        withBytes(span) { Array($0) }
    }

    /// The bytes of `span` as a path.
    func path(_ span: Span) -> RawPath { RawPath(bytes: bytes(span)) }

    /// Whether `span` holds exactly `other`.
    func equals(_ span: Span, _ other: UnsafeBufferPointer<UInt8>) -> Bool {
        withBytes(span) { mine in
            mine.count == other.count && (mine.isEmpty || memcmp(mine.baseAddress!, other.baseAddress!, mine.count) == 0)
        }
    }

    /// Whether the path in `span` is `folder` (given without a trailing slash) or lies below it.
    func isWithin(_ span: Span, folder: UnsafeBufferPointer<UInt8>) -> Bool {
        withBytes(span) { mine in
            mine.starts(with: folder) && (mine.count == folder.count || mine[folder.count] == UInt8(ascii: "/"))
        }
    }

    /// Notes that `span` is no longer used.
    mutating func release(_ span: Span) {
        releasedBytes += 2 + withBytes(span) { $0.count }
    }

    /// Whether more than half of the bytes kept (and at least 256 KiB) belong to released spans.
    var isMostlyWaste: Bool { releasedBytes > 1 << 18 && releasedBytes * 2 > usedBytes }

    private func withBytes<Result>(_ span: Span, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        let chunk = Int(span.start) / Self.chunkSize, offset = Int(span.start) % Self.chunkSize
        return chunks[chunk].withUnsafeBufferPointer { all in
            let length = Int(all[offset]) | Int(all[offset + 1]) << 8
            return body(UnsafeBufferPointer(rebasing: all[(offset + 2)..<(offset + 2 + length)]))
        }
    }
}
