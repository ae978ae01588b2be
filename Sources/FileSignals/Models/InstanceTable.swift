// SPDX-License-Identifier: GPL-2.0-or-later

/// What the bridge knows of every instance, keyed by absolute path: Django's database table, for files.
///
/// The reconciler derives every signal by comparing what the disk shows now with this table, so the table
/// is changed only together with the signal that reports the change.
///
/// A watched tree may hold hundreds of thousands of instances, so the table is laid out compactly rather
/// than as a dictionary of records (which cost about 420 bytes per instance: the path, the instance name
/// and the digest each a heap array of their own). Here an instance is one fixed-size ``Row`` without
/// pointers, 80 bytes (its `lstat`, its digest inline, its model as a number), its folder a number in a
/// ``FolderTable``, its file name's bytes in a shared ``TextStore``, its instance name how much of the
/// front of its path to drop (it is a suffix of the path, as it almost always is), and a slot in an
/// open-addressing index: about 110 bytes in all. Rows and text grow in fixed-size chunks, so that growing
/// never copies the whole table.
public struct InstanceTable: Sendable {
    /// One instance, without references: 16 bytes of bookkeeping, its lstat and its digest (80 in all).
    private struct Row: Sendable {
        /// Its folder (``FolderTable``), or ``noFolder`` for a path without a `/`.
        var folder: UInt32
        /// Its file name: the path after its last `/`.
        var name: TextStore.Span
        var hash: UInt32
        /// Where its instance name starts in its path (13 bits: a path is at most 4,096 bytes; ``oddName``
        /// when the instance name is not the end of the path, and is in `oddNames`), and its flags (3 bits).
        private var instanceStartAndFlags: UInt16
        var sender: UInt16
        var state: InstanceState
        var digest: Digest

        init(folder: UInt32, name: TextStore.Span, hash: UInt32, sender: UInt16, flags: Flags, state: InstanceState, digest: Digest) {
            self.folder = folder
            self.name = name
            self.hash = hash
            self.instanceStartAndFlags = UInt16(flags.rawValue) << 13
            self.sender = sender
            self.state = state
            self.digest = digest
        }

        var instanceStart: UInt16 {
            get { instanceStartAndFlags & 0x1FFF }
            set { instanceStartAndFlags = instanceStartAndFlags & 0xE000 | newValue & 0x1FFF }
        }

        var flags: Flags {
            get { Flags(rawValue: UInt8(instanceStartAndFlags >> 13)) }
            set { instanceStartAndFlags = instanceStartAndFlags & 0x1FFF | UInt16(newValue.rawValue & 0x7) << 13 }
        }
    }

    private static let noFolder = UInt32.max
    private static let oddName: UInt16 = 0x1FFF

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
    private var folders = FolderTable()
    /// Instance names that are not the end of their path, by row.
    private var oddNames: [Int32: RawPath] = [:]
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
            return record(of: self[row: row], number: row)
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

    /// Every path in the table, in no particular order.
    public var paths: [RawPath] {
        usedRows.map { path(of: self[row: $0]) }
    }

    /// The paths of every instance inside `folder`, at any depth.
    public func paths(under folder: RawPath) -> [RawPath] {
        // Decided by folder number: a path is made only for the instances that are inside.
        let base = folder.bytes.last == UInt8(ascii: "/") ? Array(folder.bytes.dropLast()) : folder.bytes
        let inside = folders.numbers(within: base)
        guard !inside.isEmpty else { return [] }
        return usedRows.compactMap { row in inside.contains(self[row: row].folder) ? path(of: self[row: row]) : nil }
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

    /// Up to `limit` paths of instances without a digest that `policy` covers, each given once (again only if
    /// its record is set again without one: a file that cannot be read is not tried over and over).
    public mutating func takeUndigested(limit: Int, covered policy: DigestPolicy = .standard) -> [RawPath] {
        var taken: [RawPath] = []
        guard policy.isOn else { return taken }
        while taken.count < limit && undigestedCursor < rowCount {
            let row = self[row: undigestedCursor]
            if row.flags.contains(.used) && !row.flags.contains(.hasDigest) && policy.covers(row.state) { taken.append(path(of: row)) }
            undigestedCursor += 1
        }
        return taken
    }

    /// Marks the instance at `path` (a scan saw it; see ``unmarkedPaths()``), and tells what is known of it:
    /// one lookup for the scan's comparison of every file. - Returns: nil when it is not in the table.
    @discardableResult
    public mutating func mark(_ path: RawPath) -> (state: InstanceState, sender: String)? {
        guard let row = find(path).row else { return nil }
        self[row: row].flags.insert(.marked)
        return (self[row: row].state, senders[Int(self[row: row].sender)])
    }

    /// The paths of the instances not marked since the last ``clearMarks()``.
    public func unmarkedPaths() -> [RawPath] {
        usedRows.compactMap { row in self[row: row].flags.contains(.marked) ? nil : path(of: self[row: row]) }
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

    private func record(of row: Row, number: Int) -> InstanceRecord {
        let instance = row.instanceStart == Self.oddName
            ? oddNames[Int32(number)] ?? RawPath(bytes: [])
            : RawPath(bytes: Array(path(of: row).bytes.dropFirst(Int(row.instanceStart))))
        return InstanceRecord(
            sender: senders[Int(row.sender)], instance: instance, state: row.state,
            sha256: row.flags.contains(.hasDigest) ? row.digest.bytes : nil)
    }

    /// The full path of `row`: its folder, a `/`, its name.
    private func path(of row: Row) -> RawPath {
        guard row.folder != Self.noFolder else { return text.path(row.name) }
        var bytes = folders.bytes(row.folder)
        bytes.append(UInt8(ascii: "/"))
        bytes += text.bytes(row.name)
        return RawPath(bytes: bytes)
    }

    /// Where `path` splits into its folder and its name: the index of its last `/`.
    private static func lastSlash(_ path: UnsafeBufferPointer<UInt8>) -> Int? {
        path.lastIndex(of: UInt8(ascii: "/"))
    }

    private static func hash(of path: RawPath) -> UInt32 {
        // Swift's Hasher is seeded per process: names chosen to collide cannot slow the table down.
        UInt32(truncatingIfNeeded: path.hashValue)
    }

    /// Whether `row` is the instance at `path`.
    private func row(_ row: Row, isAt path: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let slash = Self.lastSlash(path) else {
            return row.folder == Self.noFolder && text.equals(row.name, path)
        }
        return row.folder != Self.noFolder
            && text.equals(row.name, UnsafeBufferPointer(rebasing: path[(slash + 1)...]))
            && folders.equals(row.folder, UnsafeBufferPointer(rebasing: path[..<slash]))
    }

    /// The row holding `path`, or the slot where it would go, and the path's hash.
    private func find(_ path: RawPath) -> (row: Int?, slot: Int, hash: UInt32) {
        let hash = Self.hash(of: path)
        guard !slots.isEmpty else { return (nil, 0, hash) }
        let mask = slots.count - 1
        var slot = Int(hash) & mask
        var firstRemoved: Int?
        return path.bytes.withUnsafeBufferPointer { bytes in
            while true {
                let entry = slots[slot]
                if entry == 0 { return (nil, firstRemoved ?? slot, hash) }
                if entry < 0 {
                    if firstRemoved == nil { firstRemoved = slot }
                } else {
                    let candidate = self[row: Int(entry) - 1]
                    if candidate.hash == hash && row(candidate, isAt: bytes) { return (Int(entry) - 1, slot, hash) }
                }
                slot = (slot + 1) & mask
            }
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
            // A scan's mark stays: the instance was seen, whatever it is updated to.
            self[row: existing].flags = self[row: existing].flags.intersection(.marked).union(digest == nil ? [.used] : [.used, .hasDigest])
            setInstanceName(record.instance, path: path, row: existing)
            return
        }
        let (folder, name) = path.bytes.withUnsafeBufferPointer { bytes -> (UInt32, TextStore.Span) in
            guard let slash = Self.lastSlash(bytes) else { return (Self.noFolder, text.append(bytes)) }
            return (folders.retain(UnsafeBufferPointer(rebasing: bytes[..<slash])), text.append(bytes[(slash + 1)...]))
        }
        let row = Row(
            folder: folder, name: name, hash: hash, sender: senderNumber,
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
        setInstanceName(record.instance, path: path, row: number)
        if slots[slot] < 0 { removedSlots -= 1 }
        slots[slot] = Int32(number + 1)
        count += 1
        if digest == nil { undigestedCursor = min(undigestedCursor, number) }
    }

    /// Records the instance name of row `number`: as where it starts in `path`, or on its own.
    private mutating func setInstanceName(_ instance: RawPath, path: RawPath, row number: Int) {
        let start = path.bytes.count - instance.bytes.count
        if start >= 0, start < Int(Self.oddName), path.bytes[start...].elementsEqual(instance.bytes) {
            if self[row: number].instanceStart == Self.oddName { oddNames[Int32(number)] = nil }
            self[row: number].instanceStart = UInt16(start)
        } else {
            self[row: number].instanceStart = Self.oddName
            oddNames[Int32(number)] = instance
        }
    }

    private mutating func remove(_ path: RawPath) {
        let (found, slot, _) = find(path)
        guard let row = found else { return }
        text.release(self[row: row].name)
        if self[row: row].folder != Self.noFolder { folders.release(self[row: row].folder) }
        oddNames[Int32(row)] = nil
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

    /// Rewrites the names without the bytes of removed instances.
    private mutating func compact() {
        var fresh = TextStore()
        for row in 0..<rowCount where self[row: row].flags.contains(.used) {
            self[row: row].name = fresh.append(text.bytes(self[row: row].name))
        }
        text = fresh
    }
}
