// SPDX-License-Identifier: GPL-2.0-or-later

/// A counting semaphore for async code: at most `count` receiver runs at once (`jobs`). Waiters are served
/// in the order they came. The tests take their turns through it too (`TestSupport`).
package actor JobSlots {
    private var free: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    package init(count: Int) { free = max(1, count) }

    package func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    package func release() {
        if waiters.isEmpty {
            free += 1
        } else {
            waiters.removeFirst().resume()
        }
    }
}
