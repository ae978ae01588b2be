// SPDX-License-Identifier: GPL-2.0-or-later

/// A counting semaphore for async code: at most `count` receiver runs at once (`jobs`). Waiters are served
/// in the order they came.
actor JobSlots {
    private var free: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(count: Int) { free = max(1, count) }

    func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty {
            free += 1
        } else {
            waiters.removeFirst().resume()
        }
    }
}
