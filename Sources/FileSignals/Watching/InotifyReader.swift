// SPDX-License-Identifier: GPL-2.0-or-later
import CProcessSupport
import Foundation
import Glibc
import Synchronization

/// Reads an inotify descriptor on a thread of its own, and keeps what it read until the watcher's thread
/// takes it.
///
/// The kernel queues at most `fs.inotify.max_queued_events` (16,384 by default) events per instance; past
/// that it drops them and says it overflowed, and a rescan of every watched folder follows: the changes of
/// a burst are then reported about a second late, and a large tree is walked again. The watcher's thread
/// does much more than read (deciding, journaling, printing), and a commit or a busy machine can hold it up
/// long enough for a burst to fill that queue. This thread does nothing but read, so the kernel's queue is
/// emptied as fast as it fills.
///
/// What waits here is bounded by ``byteLimit``: past it, this thread stops reading until some is taken, and
/// the kernel's queue (and its overflow, whose rescan loses nothing) takes over again.
///
/// Nothing else reads the descriptor: libinotifytools' own reading (and its `select()`, which aborts on a
/// descriptor above 1023) is never used.
final class InotifyReader: Sendable {
    /// What was read and not taken yet: whole events, as the kernel wrote them (a `read` never splits one).
    private struct Pending {
        var chunks: [[UInt8]] = []
        var bytes = 0
        /// The thread stopped reading at ``InotifyReader/byteLimit`` and waits for ``InotifyReader/room``.
        var isWaitingForRoom = false
        /// Where each `read` lands; what it read is copied out at its own size.
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
    }

    /// The most that waits in memory: about 200,000 events, twelve times the kernel's default queue.
    static let defaultByteLimit = 8 << 20
    let byteLimit: Int
    /// Readable while something waits to be taken: what the watcher's thread polls instead of inotify.
    let readable = WakeUpDescriptor()
    private let descriptor: Int32
    private let pending = Mutex(Pending())
    private let room = WakeUpDescriptor()
    private let stopRequest = WakeUpDescriptor()
    private let ended = DispatchSemaphore(value: 0)

    /// Starts reading `descriptor` (made non-blocking: this thread and ``take()`` both read it).
    /// Fails when the descriptors it wakes and is woken by cannot be made (the descriptor limit).
    init?(descriptor: Int32, byteLimit: Int = defaultByteLimit) {
        self.descriptor = descriptor
        self.byteLimit = byteLimit
        guard readable.descriptor >= 0, room.descriptor >= 0, stopRequest.descriptor >= 0 else { return nil }
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        let thread = Thread { [self] in
            filesignals_name_thread("fs-inotify")
            run()
            ended.signal()
        }
        thread.start()
    }

    /// Ends the thread and waits for it (before the descriptor is closed).
    func stop() {
        stopRequest.wake()
        ended.wait()
    }

    /// Takes every chunk read so far, in the order read. When none waits, reads the descriptor once here, so
    /// that an empty answer means the kernel had nothing queued either (the watcher decides what an
    /// unpaired rename means only then).
    func take() -> [[UInt8]] {
        readable.clear()
        return pending.withLock { pending in
            if pending.chunks.isEmpty { _ = readAvailable(into: &pending) }
            let taken = pending.chunks
            pending.chunks.removeAll()
            pending.bytes = 0
            if pending.isWaitingForRoom {
                pending.isWaitingForRoom = false
                room.wake()
            }
            return taken
        }
    }

    private func run() {
        while true {
            let isFull = pending.withLock { pending in
                pending.isWaitingForRoom = pending.bytes >= byteLimit
                return pending.isWaitingForRoom
            }
            var descriptors = [
                pollfd(fd: stopRequest.descriptor, events: Int16(POLLIN), revents: 0),
                pollfd(fd: isFull ? room.descriptor : descriptor, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&descriptors, 2, -1)
            if ready < 0 && errno != EINTR { return }
            if descriptors[0].revents != 0 { return }
            if isFull {
                room.clear()
                continue
            }
            guard descriptors[1].revents != 0 else { continue }
            if pending.withLock({ readAvailable(into: &$0) }) { readable.wake() }
            // In a burst, one read a millisecond takes what gathered meanwhile, instead of one wake-up per
            // event; the kernel's queue holds far more than a millisecond's worth. A lone event is read (and
            // handed on) at once. (Nor does a descriptor in error make this thread spin.)
            var pause = timespec(tv_sec: 0, tv_nsec: 1_000_000)
            nanosleep(&pause, nil)
        }
    }

    /// Reads what the kernel has queued, up to ``byteLimit`` held; returns whether anything was read.
    private func readAvailable(into pending: inout Pending) -> Bool {
        var didRead = false
        while pending.bytes < byteLimit {
            let count = pending.buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            pending.chunks.append(Array(pending.buffer[..<count]))
            pending.bytes += count
            didRead = true
        }
        return didRead
    }
}
