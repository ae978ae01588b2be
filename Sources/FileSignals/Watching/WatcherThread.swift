// SPDX-License-Identifier: GPL-2.0-or-later
import CInotifyTools
import CProcessSupport
import Foundation
import Glibc
import Synchronization

/// What runs on the watcher's thread: it is given every batch of events there, in order, and says when it
/// wants to be woken without an event (a settle deadline).
///
/// Doing the work on the thread that reads inotify, instead of handing every batch to another thread, is
/// what keeps a burst of changes cheap: the thread sleeps in `poll()` when there is nothing to read or
/// decide, and only finished results leave it. All methods are called on the watcher's thread only.
protocol WatcherClient: AnyObject, Sendable {
    /// Events read from inotify, or found by a walk, in the order they happened.
    func receive(_ batch: [WatcherEvent])
    /// Called after every wake-up of the thread (events read, a deadline reached, ``attention``
    /// woken): the moment to do time-driven work.
    func tick()
    /// The next moment ``tick()`` has work to do without any event, or nil.
    var wakeUpTime: ContinuousClock.Instant? { get }
    /// While true, the thread stops taking events until the client wakes ``attention``: they wait in the
    /// ``InotifyReader``'s memory up to its limit, then in the kernel's queue, which may overflow (the
    /// rescan that follows loses nothing).
    var isBehind: Bool { get }
    /// How long the thread lets events gather after taking some, before it takes more (zero: take them as
    /// soon as there are any). Asked after every take; events taken later are decided later by as much.
    var readPause: Duration { get }
    /// Called when the thread woke for ``wakeUpTime`` (no event) and did so `late` after it: the measure of how
    /// long the machine kept it from running.
    func wokeUp(late: Duration)
    /// When true after a ``tick()``, the thread ends as if stopped.
    var isFinished: Bool { get }
    /// Woken by other threads when the client has something to do on the watcher's thread (a consumer
    /// caught up, background results arrived); the thread then calls ``tick()``.
    var attention: WakeUpDescriptor { get }
    /// The thread ends: because ``WatcherThread/stop()`` was called, the client finished, or watching
    /// failed (`error`). Events still queued in the kernel when a stop was asked for have been received.
    func end(error: WatcherError?)
}

/// The thread that owns libinotifytools: walks the folders, then sleeps in `poll()` on what the
/// ``InotifyReader`` has read, a stop descriptor and an attention descriptor, with the client's next
/// deadline as timeout.
/// An idle watcher with nothing pending uses no CPU. Only one may run in a process at a time, because
/// libinotifytools keeps its state in C globals.
final class WatcherThread: Sendable {
    private let stopRequest = WakeUpDescriptor()
    private let ended = DispatchSemaphore(value: 0)
    private let isJoined = Mutex(false)

    /// Whether a watcher thread runs in this process.
    private static let running = Mutex(false)
    /// At most this many events are handed over in one batch, so that a walk or a burst reaches the client
    /// in pieces instead of after the whole queue has been read.
    static let batchLimit = 4096

    /// Starts the thread, which walks `folders` (every file is received as `found`, then `ready`) and then
    /// watches them. Returns once the inotify instance exists; what goes wrong later ends the thread with
    /// an error given to the client.
    ///
    /// - Throws: ``WatcherError/missingFolder(_:)``, ``WatcherError/alreadyRunning``,
    ///   ``WatcherError/cannotInitialize(errno:)``.
    static func start(
        folders: [RawPath], includeFolder: @escaping @Sendable (RawPath) -> Bool, keepsGoingAtWatchLimit: Bool,
        staysOnOneFileSystem: Bool = false, readerByteLimit: Int = InotifyReader.defaultByteLimit, client: any WatcherClient
    ) throws(WatcherError) -> WatcherThread {
        for folder in folders {
            var info = stat()
            guard folder.withCString({ stat($0, &info) }) == 0, info.st_mode & S_IFMT == S_IFDIR else {
                throw .missingFolder(folder)
            }
            if let name = PseudoFileSystem.name(at: folder) { throw .pseudoFileSystem(folder, name: name) }
        }
        let claimed = running.withLock { isRunning in
            defer { isRunning = true }
            return !isRunning
        }
        guard claimed else { throw .alreadyRunning }
        let thread = WatcherThread()
        guard thread.stopRequest.descriptor >= 0, client.attention.descriptor >= 0 else {
            running.withLock { $0 = false }
            throw .cannotInitialize(errno: errno)
        }
        let started = WatcherOutcome()
        let system = Thread { [stopRequest = thread.stopRequest, ended = thread.ended] in
            filesignals_name_thread("fs-watcher")
            var failure: WatcherError?
            defer {
                client.end(error: failure)
                running.withLock { $0 = false }
                ended.signal()
            }
            let session: InotifySession
            do throws(WatcherError) {
                session = try InotifySession(
                    includeFolder: includeFolder, keepsGoingAtWatchLimit: keepsGoingAtWatchLimit,
                    staysOnOneFileSystem: staysOnOneFileSystem, batchLimit: batchLimit, readerByteLimit: readerByteLimit,
                    deliver: { client.receive($0) })
            } catch {
                started.finish(with: error)
                return
            }
            started.finish(with: nil)
            do throws(WatcherError) {
                try session.watchTreesInParallel(folders)
                session.emit(.ready(folders: session.folderCount, files: session.fileCount))
                session.handOver()
                client.tick()
            } catch {
                failure = error
                return
            }
            Self.run(session, client: client, stopRequest: stopRequest)
        }
        system.start()
        if let error = started.wait() {
            thread.ended.wait()
            throw error
        }
        return thread
    }

    private init() {}

    /// Asks the thread to end, without waiting: what inotify has queued is still read and given to the
    /// client, then the client's ``WatcherClient/end(error:)`` runs.
    func requestStop() { stopRequest.wake() }

    /// Asks the thread to end and waits until it has, so that a new watcher can start. Calling it again
    /// does nothing.
    func stop() {
        requestStop()
        let first = isJoined.withLock { joined in
            defer { joined = true }
            return !joined
        }
        if first { ended.wait() }
    }

    /// The thread's loop: sleep until inotify has events, the client's deadline comes, someone asks for
    /// attention, or a stop is asked for.
    private static func run(
        _ session: InotifySession, client: any WatcherClient, stopRequest: WakeUpDescriptor
    ) {
        let attention = client.attention
        /// Whether a stop was asked for, without waiting.
        func isStopRequested() -> Bool {
            var request = pollfd(fd: stopRequest.descriptor, events: Int16(POLLIN), revents: 0)
            return poll(&request, 1, 0) > 0
        }
        /// Reads what inotify has queued, in batches, while the client keeps up (at most `batches` of them).
        /// A stop asked for meanwhile ends it between batches: a flood of events must not hold up SIGTERM.
        func readEvents(upTo batches: Int = .max, untilStopped: Bool = true) {
            var finished = false
            var handed = 0
            while !finished && !client.isBehind && handed < batches && !(untilStopped && isStopRequested()) {
                finished = session.drain(limit: batchLimit)
                session.handOver()
                handed += 1
            }
        }
        var reportedFolders: Int?
        /// `filesignals_watched_folders`: the watches held now, set again whenever folders come or go.
        func reportFolderCount() {
            guard FileSignalsMetrics.isReporting, session.folderCount != reportedFolders else { return }
            reportedFolders = session.folderCount
            FileSignalsMetrics.set("filesignals_watched_folders", to: Double(session.folderCount))
        }
        reportFolderCount()
        var pausedUntil: ContinuousClock.Instant?
        while true {
            if client.isFinished {
                // A client that finishes by itself (`scan`) gets what inotify has queued first: a change its
                // receivers made a moment ago is still its business.
                readEvents(upTo: 16, untilStopped: false)
                client.tick()
                if client.isFinished { return }
            }
            let isBehind = client.isBehind
            if let until = pausedUntil, ContinuousClock.now >= until { pausedUntil = nil }
            let readsInotify = !isBehind && pausedUntil == nil
            var descriptors = [
                pollfd(fd: stopRequest.descriptor, events: Int16(POLLIN), revents: 0),
                pollfd(fd: attention.descriptor, events: Int16(POLLIN), revents: 0),
            ]
            if readsInotify { descriptors.append(pollfd(fd: session.reader.readable.descriptor, events: Int16(POLLIN), revents: 0)) }
            let wakeUp = [client.wakeUpTime, pausedUntil].compactMap { $0 }.min()
            let sleeps = ContinuousClock.now
            let timeout = wakeUp.map { max(.zero, sleeps.duration(to: $0)).nanoseconds } ?? -1
            let ready = filesignals_poll_nanoseconds(&descriptors, nfds_t(descriptors.count), timeout)
            if ready < 0 {
                if errno == EINTR { continue }
                session.emit(.warning(.pollFailed(errno: errno)))
                session.handOver()
                return
            }
            // Late after the moment it was to wake, or after the sleep began when that moment had passed
            // already (the work before took long: that is not the machine keeping the thread waiting).
            if ready == 0, let wakeUp { client.wokeUp(late: max(wakeUp, sleeps).duration(to: .now)) }
            if descriptors[0].revents != 0 {
                // What the kernel has queued already happened: the client gets it before it ends.
                readEvents(upTo: 16, untilStopped: false)
                client.tick()
                return
            }
            if descriptors[1].revents != 0 { attention.clear() }
            // Events taken from the reader and not handled yet do not make its descriptor readable again:
            // handle them until none is left, or until the client is too far behind. Then let the next ones
            // gather for `readPause`: in a burst, one wake-up handles many events, not one.
            if readsInotify, descriptors[2].revents != 0 {
                readEvents()
                reportFolderCount()
                let pause = client.readPause
                if pause > .zero { pausedUntil = .now + pause }
            }
            client.tick()
        }
    }
}

/// What the watcher's thread tells a waiting thread once: that something is done (the inotify instance
/// made, the first walk finished), or why it failed. The first ``finish(with:)`` counts.
final class WatcherOutcome: Sendable {
    private let outcome = Mutex<WatcherError??>(nil)
    private let done = DispatchSemaphore(value: 0)

    /// Whether ``finish(with:)`` has been called.
    var isFinished: Bool { outcome.withLock { $0 != nil } }

    func finish(with error: WatcherError?) {
        let isFirst = outcome.withLock { outcome in
            guard outcome == nil else { return false }
            outcome = .some(error)
            return true
        }
        if isFirst { done.signal() }
    }

    /// Waits for ``finish(with:)`` and returns its error.
    func wait() -> WatcherError? {
        done.wait()
        return outcome.withLock { $0 ?? nil }
    }
}
