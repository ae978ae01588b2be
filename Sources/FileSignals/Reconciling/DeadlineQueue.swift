// SPDX-License-Identifier: GPL-2.0-or-later

/// The reconciler's pending paths ordered by when they are due: a binary min-heap, so that a burst of
/// 50,000 pending files costs a logarithm per event instead of a walk over all of them.
///
/// Entries are never updated in place: a path whose deadline moves gets a new entry, and the old one is
/// recognised as stale when it comes out (its deadline is no longer the path's).
struct DeadlineQueue: Sendable {
    typealias Instant = ContinuousClock.Instant

    /// One path and when it is due, in nanoseconds after ``origin``: a plain integer, so that moving
    /// entries around the heap and comparing them costs no more than it must (an `Instant` is a
    /// library type copied through its value witnesses).
    private struct Entry: Sendable {
        var deadline: Int64
        var path: RawPath
    }

    private var heap: [Entry] = []
    /// The instant deadlines are counted from: the first one pushed.
    private var origin: Instant?

    /// The earliest deadline, stale or not.
    var earliest: Instant? {
        guard let first = heap.first, let origin else { return nil }
        return origin + .nanoseconds(first.deadline)
    }

    mutating func push(_ deadline: Instant, _ path: RawPath) {
        heap.append(Entry(deadline: offset(of: deadline), path: path))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes the earliest entry if it is due at `now`, and returns its path.
    mutating func popDue(at now: Instant) -> RawPath? {
        guard let first = heap.first?.deadline, first <= offset(of: now) else { return nil }
        heap.swapAt(0, heap.count - 1)
        let path = heap.removeLast().path
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
        return path
    }

    private mutating func offset(of instant: Instant) -> Int64 {
        guard let origin else {
            origin = instant
            return 0
        }
        return origin.duration(to: instant).nanoseconds
    }
}
