// SPDX-License-Identifier: GPL-2.0-or-later
import CInotifyTools
import CProcessSupport
import Foundation
import Glibc
import Synchronization

/// Watches folder trees with inotify on one dedicated thread and hands what it sees to the rest of the
/// program as ``WatcherEvent`` values, in batches, through ``events``.
///
/// The thread sleeps in `poll()` on the inotify descriptor and an `eventfd` (used to stop it), so an idle
/// watcher uses no CPU. Only one watcher may run in a process at a time, because libinotifytools keeps its
/// state in C globals.
public final class InotifyWatcher: Sendable {
    /// Batches of events, in the order they happened. Finishes after ``stop()``.
    public let events: AsyncStream<[WatcherEvent]>
    private let stopRequest = WakeUpDescriptor()
    private let stopped = DispatchSemaphore(value: 0)
    private let isStopping = Mutex(false)
    /// Batches handed over and not yet handled: bounds the memory between the watcher and a slow consumer.
    private let backlog: Backlog

    /// Whether a watcher is running in this process.
    private static let running = Mutex(false)
    /// At most this many events are handed over in one batch, so that a burst reaches the reconciler in
    /// pieces instead of after the whole queue has been read.
    static let batchLimit = 4096

    /// Starts watching `folders` and every subfolder that `includeFolder` accepts, and returns once every
    /// existing folder is watched. Every existing file has then been reported as `found`, followed by `ready`.
    ///
    /// - Parameters:
    ///   - folders: absolute paths of the top folders; each must exist.
    ///   - includeFolder: whether to watch a subfolder (absolute path); called on the watcher's thread.
    ///   - keepsGoingAtWatchLimit: when the kernel refuses a watch with `ENOSPC`, go on with the folders
    ///     already watched (a warning, and a `skipped` event for each folder left out) instead of throwing.
    /// - Throws: ``WatcherError/missingFolder(_:)`` when a top folder does not exist,
    ///   ``WatcherError/watchLimitReached(limit:)`` when the kernel refuses a watch (`ENOSPC`),
    ///   ``WatcherError/alreadyRunning`` when another watcher runs in this process.
    public static func start(
        folders: [RawPath],
        includeFolder: @escaping @Sendable (RawPath) -> Bool,
        keepsGoingAtWatchLimit: Bool = false
    ) throws(WatcherError) -> InotifyWatcher {
        for folder in folders {
            var info = stat()
            guard folder.withCString({ stat($0, &info) }) == 0, info.st_mode & S_IFMT == S_IFDIR else {
                throw .missingFolder(folder)
            }
        }
        let claimed = running.withLock { isRunning in
            if isRunning { return false }
            isRunning = true
            return true
        }
        guard claimed else { throw .alreadyRunning }
        let (stream, continuation) = AsyncStream.makeStream(of: [WatcherEvent].self)
        let watcher = InotifyWatcher(events: stream)
        guard watcher.stopRequest.descriptor >= 0, watcher.backlog.wakeUp.descriptor >= 0 else {
            running.withLock { $0 = false }
            throw .cannotInitialize(errno: errno)
        }
        let backlog = watcher.backlog
        let stopRequest = watcher.stopRequest
        let startup = StartupOutcome()
        let thread = Thread { [stopped = watcher.stopped] in
            defer {
                continuation.finish()
                running.withLock { $0 = false }
                stopped.signal()
            }
            let session: InotifySession
            do throws(WatcherError) {
                session = try InotifySession(includeFolder: includeFolder, keepsGoingAtWatchLimit: keepsGoingAtWatchLimit)
                var batch: [WatcherEvent] = []
                for folder in folders {
                    try session.watchTree(folder, reason: .initialWalk, into: &batch)
                    if batch.count >= batchLimit {
                        continuation.yield(batch)
                        batch.removeAll(keepingCapacity: true)
                    }
                }
                batch.append(.ready(folders: session.folderCount, files: session.fileCount))
                continuation.yield(batch)
            } catch {
                startup.finish(with: error)
                return
            }
            startup.finish(with: nil)
            Self.run(session, stopRequest: stopRequest, backlog: backlog, continuation: continuation)
        }
        thread.name = "filesignals-inotify"
        thread.start()
        if let error = startup.wait() {
            watcher.stopped.wait()
            throw error
        }
        return watcher
    }

    private init(events: AsyncStream<[WatcherEvent]>) {
        self.events = events
        self.backlog = Backlog()
    }

    /// Tells the watcher that one batch of ``events`` has been handled. A consumer that calls this lets the
    /// watcher bound what waits in memory: with `Backlog.limit` batches unhandled, the watcher stops reading,
    /// the kernel's queue overflows, and a rescan reports what changed meanwhile, so nothing is lost.
    /// A consumer must call it once per batch: one that never does gets `Backlog.limit` batches, then nothing.
    public func batchHandled() { backlog.handled() }

    /// Stops the thread, releases the inotify instance and finishes ``events``; returns once all of that is
    /// done, so that a new watcher can start. Calling it again does nothing.
    public func stop() {
        let first = isStopping.withLock { stopping in
            defer { stopping = true }
            return !stopping
        }
        guard first else { return }
        stopRequest.wake()
        stopped.wait()
    }

    /// The thread's loop: sleep in `poll()` until inotify has events or `stop()` writes the eventfd; while
    /// the consumer is behind, sleep on the stop and wake descriptors only.
    private static func run(
        _ session: InotifySession, stopRequest: WakeUpDescriptor, backlog: Backlog, continuation: AsyncStream<[WatcherEvent]>.Continuation
    ) {
        var batch: [WatcherEvent] = []
        while true {
            let isBehind = backlog.isFull
            var descriptors = [
                pollfd(fd: stopRequest.descriptor, events: Int16(POLLIN), revents: 0),
                pollfd(fd: backlog.wakeUp.descriptor, events: Int16(POLLIN), revents: 0),
            ]
            if !isBehind { descriptors.append(pollfd(fd: session.descriptor, events: Int16(POLLIN), revents: 0)) }
            let ready = poll(&descriptors, nfds_t(descriptors.count), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                continuation.yield([.warning("watching stopped: poll failed: \(String(cString: strerror(errno)))")])
                return
            }
            if descriptors[0].revents != 0 { return }
            if descriptors[1].revents != 0 { backlog.wakeUp.clear() }
            guard !isBehind, descriptors[2].revents != 0 else { continue }
            // Events the library has already buffered do not make the descriptor readable again: read
            // until it has none left, or until the consumer is too far behind.
            var finished = false
            while !finished && !backlog.isFull {
                finished = session.drain(into: &batch, limit: batchLimit)
                if !batch.isEmpty {
                    backlog.handedOver()
                    continuation.yield(batch)
                    batch.removeAll(keepingCapacity: true)
                }
            }
        }
    }
}

/// Counts the batches handed to the consumer and not yet handled, and wakes the watcher's thread when the
/// count falls below the limit again.
final class Backlog: Sendable {
    /// Batches (of up to 4,096 events) that may wait in memory.
    static let limit = 16
    private let count = Mutex(0)
    let wakeUp = WakeUpDescriptor()

    var isFull: Bool { count.withLock { $0 >= Self.limit } }

    func handedOver() { count.withLock { $0 += 1 } }

    func handled() {
        let wasFull = count.withLock { count in
            defer { count = max(0, count - 1) }
            return count >= Self.limit
        }
        if wasFull { wakeUp.wake() }
    }
}

/// How the watcher's thread tells `start` that the first walk is done, or why it failed.
private final class StartupOutcome: Sendable {
    private let outcome = Mutex<WatcherError??>(nil)
    private let done = DispatchSemaphore(value: 0)

    func finish(with error: WatcherError?) {
        outcome.withLock { $0 = .some(error) }
        done.signal()
    }

    func wait() -> WatcherError? {
        done.wait()
        return outcome.withLock { $0 ?? nil }
    }
}
