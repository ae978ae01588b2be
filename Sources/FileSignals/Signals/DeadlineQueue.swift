// SPDX-License-Identifier: GPL-2.0-or-later

/// The reconciler's pending paths ordered by when they are due: a binary min-heap, so that a burst of
/// 50,000 pending files costs a logarithm per event instead of a walk over all of them.
///
/// Entries are never updated in place: a path whose deadline moves gets a new entry, and the old one is
/// recognised as stale when it comes out (its deadline is no longer the path's).
struct DeadlineQueue: Sendable {
    typealias Instant = ContinuousClock.Instant

    /// One path and when it is due.
    struct Entry: Sendable {
        var deadline: Instant
        var path: RawPath
    }

    private var heap: [Entry] = []

    /// The earliest deadline, stale or not.
    var earliest: Instant? { heap.first?.deadline }

    mutating func push(_ deadline: Instant, _ path: RawPath) {
        heap.append(Entry(deadline: deadline, path: path))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest entry if it is due at `now`.
    mutating func popDue(at now: Instant) -> Entry? {
        guard let first = heap.first, first.deadline <= now else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < heap.count, heap[left].deadline < heap[smallest].deadline { smallest = left }
                if right < heap.count, heap[right].deadline < heap[smallest].deadline { smallest = right }
                if smallest == parent { break }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return first
    }
}
