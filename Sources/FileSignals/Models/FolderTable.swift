// SPDX-License-Identifier: GPL-2.0-or-later

/// The folders of the instance table's paths, each kept once and known by a number, with how many
/// instances are in it: a tree of 100,000 files in 10,000 folders keeps 10,000 folder paths, not 100,000
/// copies of them. A folder is forgotten when its last instance goes.
struct FolderTable: Sendable {
    private var text = TextStore()
    private var spans: [TextStore.Span] = []
    private var uses: [UInt32] = []
    private var freeNumbers: [UInt32] = []
    private var numbers: [RawPath: UInt32] = [:]
    /// The folder asked for last: a walk adds the files of one folder after another.
    private var last: (path: [UInt8], number: UInt32)?

    /// The number of `folder` (its path's bytes), counting one more instance in it.
    mutating func retain(_ folder: UnsafeBufferPointer<UInt8>) -> UInt32 {
        if let last, uses[Int(last.number)] > 0, last.path.elementsEqual(folder) {
            uses[Int(last.number)] += 1
            return last.number
        }
        let key = RawPath(bytes: Array(folder))
        let number: UInt32
        if let known = numbers[key] {
            number = known
            uses[Int(number)] += 1
        } else if let free = freeNumbers.popLast() {
            number = free
            spans[Int(number)] = text.append(key.bytes)
            uses[Int(number)] = 1
            numbers[key] = number
        } else {
            number = UInt32(spans.count)
            spans.append(text.append(key.bytes))
            uses.append(1)
            numbers[key] = number
        }
        last = (key.bytes, number)
        return number
    }

    /// Counts one instance less in folder `number`, forgetting the folder after its last.
    mutating func release(_ number: UInt32) {
        uses[Int(number)] -= 1
        guard uses[Int(number)] == 0 else { return }
        let path = text.path(spans[Int(number)])
        numbers[path] = nil
        text.release(spans[Int(number)])
        freeNumbers.append(number)
        if text.isMostlyWaste { compact() }
    }

    /// The bytes of folder `number`.
    func bytes(_ number: UInt32) -> [UInt8] { text.bytes(spans[Int(number)]) }

    /// Whether folder `number` is exactly `folder`.
    func equals(_ number: UInt32, _ folder: UnsafeBufferPointer<UInt8>) -> Bool {
        text.equals(spans[Int(number)], folder)
    }

    /// The numbers of `folder` (given without a trailing slash) and of every folder below it.
    func numbers(within folder: [UInt8]) -> Set<UInt32> {
        folder.withUnsafeBufferPointer { folder in
            Set(spans.indices.lazy.filter { uses[$0] > 0 && text.isWithin(spans[$0], folder: folder) }.map { UInt32($0) })
        }
    }

    private mutating func compact() {
        var fresh = TextStore()
        for number in spans.indices where uses[number] > 0 {
            spans[number] = fresh.append(text.bytes(spans[number]))
        }
        text = fresh
    }
}
