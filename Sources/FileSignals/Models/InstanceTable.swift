// SPDX-License-Identifier: GPL-2.0-or-later

/// What the bridge knows of every instance, keyed by absolute path: Django's database table, for files.
///
/// The reconciler derives every signal by comparing what the disk shows now with this table, so the table
/// is changed only together with the signal that reports the change.
///
/// A watched tree may hold hundreds of thousands of instances, so the table is laid out compactly rather
/// than as a dictionary of records (which cost about 420 bytes per instance: the path, the instance name
/// and the digest each a heap array of their own). Here an instance is one fixed-size ``Row`` without
/// pointers (its `lstat`, its digest inline, its model as a number), its path's bytes in a shared
/// ``TextStore`` (the instance name is found inside the path when it is a suffix of it, as it usually
/// is), and a slot in an open-addressing index: about 150 bytes in all. Rows and text grow in fixed-size
/// chunks, so that growing never copies the whole table.
public struct InstanceTable: Sendable {
    /// One instance, without references.
    private struct Row: Sendable {
        var path: TextStore.Span
        var name: TextStore.Span
        var hash: UInt32
        var sender: UInt16
        var flags: Flags
        var state: InstanceState
        var digest: Digest
    }

    private struct Flags: OptionSet, Sendable {
        let rawValue: UInt8
        static let used = Flags(rawValue: 1)
        static let hasDigest = Flags(rawValue: 2)
        static let marked = Flags(rawValue: 4)
    }

    /// A SHA-256 digest kept inline.
    private struct Digest: Sendable {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

        init() {}

        init?(_ bytes: [UInt8]?) {
            guard let bytes, bytes.count == 32 else { return nil }
            withUnsafeMutableBytes(of: &words) { $0.copyBytes(from: bytes) }
        }

        var bytes: [UInt8] { withUnsafeBytes(of: words) { Array($0) } }
    }

    private static let rowsPerChunk = 4096
    private var rowChunks: [[Row]] = []
    private var rowCount = 0
    private var freeRows: [Int32] = []
    private var text = TextStore()
    /// Open addressing with linear probing: a row's number + 1, 0 for an empty slot, -1 for a removed one.
    private var slots: [Int32] = []
    private var removedSlots = 0
    private var senders: [String] = []
    /// Where ``takeUndigested(limit:)`` goes on looking: rows before it have been given out, or have a
    /// digest. A row without one written before it moves it back.
    private var undigestedCursor = 0

    public init() {}

    /// The number of instances known.
    public private(set) var count = 0

    /// Whether no instance is known.
    public var isEmpty: Bool { count == 0 }

    /// The record of the instance at `path`, or nil when it is not in the table.
    public subscript(path: RawPath) -> InstanceRecord? {
        get {
            guard let row = find(path).row else { return nil }
            return record(of: self[row: row])
        }
        set {
            if let newValue { set(newValue, at: path) } else { remove(path) }
        }
    }

    /// Whether an instance is known at `path`.
    public func contains(_ path: RawPath) -> Bool { find(path).row != nil }

    /// The `lstat` known of the instance at `path`.
    public func state(at path: RawPath) -> InstanceState? {
        find(path).row.map { self[row: $0].state }
    }

    /// The model that owns the instance at `path`.
    public func sender(at path: RawPath) -> String? {
        find(path).row.map { senders[Int(self[row: $0].sender)] }
    }

    /// Every path in the table, in no particular order.
    public var paths: [RawPath] {
        usedRows.map { text.path(self[row: $0].path) }
    }

    /// The paths of every instance inside `folder`, at any depth.
    public func paths(under folder: RawPath) -> [RawPath] {
        let base = folder.bytes.last == UInt8(ascii: "/") ? Array(folder.bytes.dropLast()) : folder.bytes
        return usedRows.compactMap { row in
            let span = self[row: row].path
            return text.isStrictlyInside(span, folder: base) ? text.path(span) : nil
        }
    }

    /// Records a digest computed in the background, if the instance still has the state it was read in and
    /// no digest yet.
    public mutating func recordDigest(_ digest: [UInt8], for path: RawPath, ifStateIs state: InstanceState) -> Bool {
        guard let row = find(path).row, let digest = Digest(digest) else { return false }
        guard self[row: row].state == state, !self[row: row].flags.contains(.hasDigest) else { return false }
        self[row: row].digest = digest
        self[row: row].flags.insert(.hasDigest)
        return true
    }

    /// Up to `limit` paths of instances without a digest, each given once (again only if its record is set
    /// again without one: a file that cannot be read is not tried over and over).
    public mutating func takeUndigested(limit: Int) -> [RawPath] {
        var taken: [RawPath] = []
        while taken.count < limit && undigestedCursor < rowCount {
            let row = self[row: undigestedCursor]
            if row.flags.contains(.used) && !row.flags.contains(.hasDigest) { taken.append(text.path(row.path)) }
            undigestedCursor += 1
        }
        return taken
    }

    /// Marks the instance at `path` (a scan saw it); see ``unmarkedPaths()``.
    public mutating func mark(_ path: RawPath) {
        guard let row = find(path).row else { return }
        self[row: row].flags.insert(.marked)
    }

    /// The paths of the instances not marked since the last ``clearMarks()``.
    public func unmarkedPaths() -> [RawPath] {
        usedRows.compactMap { row in self[row: row].flags.contains(.marked) ? nil : text.path(self[row: row].path) }
    }

    /// Unmarks every instance.
    public mutating func clearMarks() {
        for chunk in rowChunks.indices {
            for index in rowChunks[chunk].indices { rowChunks[chunk][index].flags.remove(.marked) }
        }
    }

    // MARK: - Storage

    private subscript(row row: Int) -> Row {
        get { rowChunks[row / Self.rowsPerChunk][row % Self.rowsPerChunk] }
        set { rowChunks[row / Self.rowsPerChunk][row % Self.rowsPerChunk] = newValue }
        _modify { yield &rowChunks[row / Self.rowsPerChunk][row % Self.rowsPerChunk] }
    }

    private var usedRows: [Int] {
        (0..<rowCount).filter { self[row: $0].flags.contains(.used) }
    }

    private func record(of row: Row) -> InstanceRecord {
        InstanceRecord(
            sender: senders[Int(row.sender)], instance: text.path(row.name), state: row.state,
            sha256: row.flags.contains(.hasDigest) ? row.digest.bytes : nil)
    }

    private static func hash(of path: RawPath) -> UInt32 {
        // Swift's Hasher is seeded per process: names chosen to collide cannot slow the table down.
        UInt32(truncatingIfNeeded: path.hashValue)
    }

    /// The row holding `path`, or the slot where it would go.
    private func find(_ path: RawPath) -> (row: Int?, slot: Int, hash: UInt32) {
        let hash = Self.hash(of: path)
        guard !slots.isEmpty else { return (nil, 0, hash) }
        let mask = slots.count - 1
        var slot = Int(hash) & mask
        var firstRemoved: Int?
        while true {
            let entry = slots[slot]
            if entry == 0 { return (nil, firstRemoved ?? slot, hash) }
            if entry < 0 {
                if firstRemoved == nil { firstRemoved = slot }
            } else {
                let row = self[row: Int(entry) - 1]
                if row.hash == hash && text.equals(row.path, path.bytes) { return (Int(entry) - 1, slot, hash) }
            }
            slot = (slot + 1) & mask
        }
    }

    private mutating func set(_ record: InstanceRecord, at path: RawPath) {
        let senderNumber = senderNumber(of: record.sender)
        let digest = Digest(record.sha256)
        // Grown first, so that the slot found stays the one to fill.
        growIndexIfNeeded()
        let (found, slot, hash) = find(path)
        if let existing = found {
            if digest == nil { undigestedCursor = min(undigestedCursor, existing) }
            self[row: existing].sender = senderNumber
            self[row: existing].state = record.state
            self[row: existing].digest = digest ?? Digest()
            self[row: existing].flags = digest == nil ? [.used] : [.used, .hasDigest]
            if !text.equals(self[row: existing].name, record.instance.bytes) {
                self[row: existing].name = name(record.instance, path: self[row: existing].path)
            }
            return
        }
        let span = text.append(path.bytes)
        let row = Row(
            path: span, name: name(record.instance, path: span), hash: hash, sender: senderNumber,
            flags: digest == nil ? [.used] : [.used, .hasDigest], state: record.state, digest: digest ?? Digest())
        let number: Int
        if let free = freeRows.popLast() {
            number = Int(free)
            self[row: number] = row
        } else {
            number = rowCount
            if number % Self.rowsPerChunk == 0 {
                rowChunks.append([])
                rowChunks[rowChunks.count - 1].reserveCapacity(Self.rowsPerChunk)
            }
            rowChunks[rowChunks.count - 1].append(row)
            rowCount += 1
        }
        if slots[slot] < 0 { removedSlots -= 1 }
        slots[slot] = Int32(number + 1)
        count += 1
        if digest == nil { undigestedCursor = min(undigestedCursor, number) }
    }

    /// Where the instance name is: inside the path when it is its suffix, else stored on its own.
    private mutating func name(_ instance: RawPath, path: TextStore.Span) -> TextStore.Span {
        text.suffix(of: path, equalTo: instance.bytes) ?? text.append(instance.bytes)
    }

    private mutating func remove(_ path: RawPath) {
        let (found, slot, _) = find(path)
        guard let row = found else { return }
        text.release(self[row: row].path)
        if self[row: row].name.isOwn(comparedTo: self[row: row].path) { text.release(self[row: row].name) }
        self[row: row].flags = []
        freeRows.append(Int32(row))
        slots[slot] = -1
        removedSlots += 1
        count -= 1
        if text.isMostlyWaste { compact() }
    }

    private mutating func senderNumber(of sender: String) -> UInt16 {
        if let index = senders.firstIndex(of: sender) { return UInt16(index) }
        senders.append(sender)
        return UInt16(senders.count - 1)
    }

    /// Keeps the index at most half full (removed slots count as full), doubling it as needed.
    private mutating func growIndexIfNeeded() {
        guard (count + removedSlots + 1) * 2 > slots.count else { return }
        var capacity = max(1024, slots.count)
        while (count + 1) * 2 > capacity { capacity *= 2 }
        if (count + 1) * 4 > capacity { capacity *= 2 }
        rebuildIndex(capacity: capacity)
    }

    private mutating func rebuildIndex(capacity: Int) {
        slots = [Int32](repeating: 0, count: capacity)
        removedSlots = 0
        let mask = capacity - 1
        for row in 0..<rowCount where self[row: row].flags.contains(.used) {
            var slot = Int(self[row: row].hash) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(row + 1)
        }
    }

    /// Rewrites the text without the bytes of removed instances.
    private mutating func compact() {
        var fresh = TextStore()
        for row in 0..<rowCount where self[row: row].flags.contains(.used) {
            let old = self[row: row]
            let path = fresh.append(text.bytes(old.path))
            let name = old.name.isOwn(comparedTo: old.path) ? fresh.append(text.bytes(old.name)) : path.suffix(length: old.name.length)
            self[row: row].path = path
            self[row: row].name = name
        }
        text = fresh
    }
}
