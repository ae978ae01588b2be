// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Synchronization

/// Watches folder trees with inotify and hands what it sees to the rest of the program as
/// ``WatcherEvent`` values, in batches, through ``events``.
///
/// A thin consumer of ``WatcherThread``, for programs that want the raw events (the bridge does its work on
/// the watcher's thread instead). Only one watcher may run in a process at a time, because libinotifytools
/// keeps its state in C globals.
public final class InotifyWatcher: Sendable {
    /// Batches of events, in the order they happened. Finishes after ``stop()``.
    public let events: AsyncStream<[WatcherEvent]>
    private let thread: WatcherThread
    private let client: StreamClient

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
        let (stream, continuation) = AsyncStream.makeStream(of: [WatcherEvent].self)
        let client = StreamClient(continuation: continuation)
        let thread = try WatcherThread.start(
            folders: folders, includeFolder: includeFolder, keepsGoingAtWatchLimit: keepsGoingAtWatchLimit, client: client)
        if let error = client.waitForFirstWalk() {
            thread.stop()
            throw error
        }
        return InotifyWatcher(events: stream, thread: thread, client: client)
    }

    private init(events: AsyncStream<[WatcherEvent]>, thread: WatcherThread, client: StreamClient) {
        self.events = events
        self.thread = thread
        self.client = client
    }

    /// Tells the watcher that one batch of ``events`` has been handled. A consumer that calls this lets the
    /// watcher bound what waits in memory: with `Backlog.limit` batches unhandled, the watcher stops reading,
    /// the kernel's queue overflows, and a rescan reports what changed meanwhile, so nothing is lost.
    /// A consumer must call it once per batch: one that never does gets `Backlog.limit` batches, then nothing.
    public func batchHandled() { client.backlog.handled() }

    /// Stops the thread, releases the inotify instance and finishes ``events``; returns once all of that is
    /// done, so that a new watcher can start. Calling it again does nothing.
    public func stop() { thread.stop() }
}

/// Hands every batch to an `AsyncStream`, counting those after the first walk in a ``Backlog``.
private final class StreamClient: WatcherClient {
    let continuation: AsyncStream<[WatcherEvent]>.Continuation
    let backlog = Backlog()
    /// Finished on the watcher's thread once the first walk is done (or failed); waited for by `start`.
    private let walk = WatcherOutcome()

    init(continuation: AsyncStream<[WatcherEvent]>.Continuation) { self.continuation = continuation }

    var attention: WakeUpDescriptor { backlog.wakeUp }
    var isBehind: Bool { backlog.isFull }
    var isFinished: Bool { false }
    var wakeUpTime: ContinuousClock.Instant? { nil }
    var readPause: Duration { .zero }

    func receive(_ batch: [WatcherEvent]) {
        let walkEnds = batch.contains { if case .ready = $0 { true } else { false } }
        // The first walk is handed over whole, before `start` returns: not counted.
        if walk.isFinished { backlog.handedOver() }
        continuation.yield(batch)
        if walkEnds { walk.finish(with: nil) }
    }

    func tick() {}
    func wokeUp(late: Duration) {}

    func end(error: WatcherError?) {
        walk.finish(with: error)
        continuation.finish()
    }

    func waitForFirstWalk() -> WatcherError? { walk.wait() }
}

/// Counts the batches handed to a consumer and not yet handled, and wakes the watcher's thread when the
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
