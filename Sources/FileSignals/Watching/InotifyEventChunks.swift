// SPDX-License-Identifier: GPL-2.0-or-later

/// Events taken from an ``InotifyReader``, decoded one at a time from the bytes the kernel wrote: each a
/// `struct inotify_event` (wd, mask, cookie, len, then `len` bytes of NUL-padded name). A `read` never splits
/// an event, so every chunk holds whole ones.
struct InotifyEventChunks {
    struct Event {
        let wd: Int32
        let mask: InotifyMask
        let cookie: UInt32
        /// Empty for an event on the watched folder itself.
        let name: ArraySlice<UInt8>
    }

    /// The fixed part of `struct inotify_event`, before its name.
    private static let headerSize = 16
    private var chunks: [[UInt8]] = []
    private var nextChunk = 0
    private var nextByte = 0

    /// Whether every event of the chunks has been given.
    var isEmpty: Bool { nextChunk == chunks.count }

    /// Replaces what was given with `chunks`.
    mutating func refill(_ chunks: [[UInt8]]) {
        self.chunks = chunks
        nextChunk = 0
        nextByte = 0
    }

    /// The next event, or nil once every one has been given.
    mutating func next() -> Event? {
        guard !isEmpty else { return nil }
        let chunk = chunks[nextChunk]
        let (wd, mask, cookie, length) = chunk.withUnsafeBytes { raw in
            (raw.loadUnaligned(fromByteOffset: nextByte, as: Int32.self),
             raw.loadUnaligned(fromByteOffset: nextByte + 4, as: UInt32.self),
             raw.loadUnaligned(fromByteOffset: nextByte + 8, as: UInt32.self),
             Int(raw.loadUnaligned(fromByteOffset: nextByte + 12, as: UInt32.self)))
        }
        let nameStart = nextByte + Self.headerSize
        nextByte = nameStart + length
        if nextByte >= chunk.count {
            nextChunk += 1
            nextByte = 0
        }
        return Event(wd: wd, mask: InotifyMask(rawValue: mask), cookie: cookie, name: chunk[nameStart..<nameStart + length].prefix { $0 != 0 })
    }
}
