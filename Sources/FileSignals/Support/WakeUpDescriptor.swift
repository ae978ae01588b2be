// SPDX-License-Identifier: GPL-2.0-or-later
import CProcessSupport
import Glibc

/// An `eventfd` that one thread writes to wake another sleeping in `poll()`.
///
/// It is closed only when the last owner lets it go, so a late ``wake()`` never writes into a descriptor
/// number that the process has meanwhile given to something else (a database file, a pipe).
final class WakeUpDescriptor: Sendable {
    let descriptor: Int32 = filesignals_wakeup_eventfd()

    /// Makes ``descriptor`` readable until ``clear()``.
    func wake() {
        var one: UInt64 = 1
        _ = write(descriptor, &one, MemoryLayout<UInt64>.size)
    }

    /// Makes ``descriptor`` unreadable again.
    func clear() {
        var value: UInt64 = 0
        _ = read(descriptor, &value, MemoryLayout<UInt64>.size)
    }

    deinit { close(descriptor) }
}
