// SPDX-License-Identifier: GPL-2.0-or-later
@testable import FileSignals
import Foundation
import Synchronization
import Testing
import TestSupport

/// The watcher on real folders with real inotify. One watcher runs per process, so the suite is serialized.
@Suite("Inotify watcher", .serialized, .ownThreads(timeLimit: .seconds(60)))
struct InotifyWatcherTests {
    /// Reads batches until `isDone` holds for everything seen, or until a deadline stops the watcher.
    private func collect(
        _ watcher: InotifyWatcher, _ iterator: inout AsyncStream<[WatcherEvent]>.Iterator,
        into seen: inout [WatcherEvent], until isDone: ([WatcherEvent]) -> Bool
    ) async {
        let deadline = Task {
            try await Task.sleep(for: .seconds(60))
            watcher.stop()
        }
        defer { deadline.cancel() }
        while !isDone(seen), let batch = await iterator.next() { seen += batch }
    }

    /// Every path the watcher has mentioned, as `found` or `changed`, relative to `folder`.
    private func paths(_ events: [WatcherEvent], in folder: TemporaryFolder) -> Set<String> {
        Set(events.compactMap { event -> String? in
            switch event {
            case .found(let path, _, _), .changed(let path, _, _): path.relative(to: RawPath(folder.path))?.description
            default: nil
            }
        })
    }

    @Test("start walks the tree: every existing file is found, then ready, before start returns")
    func initialWalk() async throws {
        let folder = try TemporaryFolder()
        try folder.shell("mkdir -p a/b && echo 1 > top.md && echo 2 > a/b/deep.md && mkdir skipped && echo 3 > skipped/x.md")
        let watcher = try InotifyWatcher.start(folders: [RawPath(folder.path)]) { !$0.description.hasSuffix("/skipped") }
        defer { watcher.stop() }
        var iterator = watcher.events.makeAsyncIterator()
        var seen: [WatcherEvent] = []
        await collect(watcher, &iterator, into: &seen) { $0.contains { if case .ready = $0 { true } else { false } } }
        #expect(paths(seen, in: folder) == ["top.md", "a/b/deep.md"])
        #expect(seen.last == .ready(folders: 3, files: 2))
    }

    @Test("a first walk larger than what the lister may hold at once: every file found exactly once, with its state")
    func largeWalk() async throws {
        let folder = try TemporaryFolder()
        // 12,000 files in one folder (more than FolderLister.entryLimit, so the lister must wait for the
        // watcher's thread) and 200 subfolders of 3 files each.
        try folder.shell("""
            mkdir big && cd big && seq 1 12000 | xargs touch && cd .. &&
            for i in $(seq 1 200); do mkdir -p "sub/d$i" && touch "sub/d$i/a" "sub/d$i/b" "sub/d$i/c"; done
            """)
        let watcher = try InotifyWatcher.start(folders: [RawPath(folder.path)]) { _ in true }
        defer { watcher.stop() }
        var iterator = watcher.events.makeAsyncIterator()
        var seen: [WatcherEvent] = []
        await collect(watcher, &iterator, into: &seen) { $0.contains { if case .ready = $0 { true } else { false } } }
        var found: [RawPath: Int] = [:]
        var withoutState = 0
        for case .found(let path, _, let state) in seen {
            found[path, default: 0] += 1
            if state == nil { withoutState += 1 }
        }
        #expect(found.count == 12_600)
        #expect(found.values.allSatisfy { $0 == 1 })
        #expect(withoutState == 0)
        #expect(seen.last == .ready(folders: 203, files: 12_600))
    }

    @Test("a file written into folders made a moment before is seen, every time", arguments: 0..<20)
    func newFolderRace(round: Int) async throws {
        let folder = try TemporaryFolder()
        let watcher = try InotifyWatcher.start(folders: [RawPath(folder.path)]) { _ in true }
        defer { watcher.stop() }
        var iterator = watcher.events.makeAsyncIterator()
        var seen: [WatcherEvent] = []
        try folder.shell("mkdir -p x/y/z && echo q > x/y/z/f.md")
        await collect(watcher, &iterator, into: &seen) { self.paths($0, in: folder).contains("x/y/z/f.md") }
        #expect(paths(seen, in: folder).contains("x/y/z/f.md"))
    }

    @Test("changes to files come as changed events with the absolute path")
    func changes() async throws {
        let folder = try TemporaryFolder()
        let watcher = try InotifyWatcher.start(folders: [RawPath(folder.path)]) { _ in true }
        defer { watcher.stop() }
        var iterator = watcher.events.makeAsyncIterator()
        var seen: [WatcherEvent] = []
        try folder.shell("echo hi > a.md && rm a.md")
        let target = RawPath(folder.path + "/a.md")
        func masks(_ events: [WatcherEvent]) -> InotifyMask {
            events.reduce(into: InotifyMask()) { all, event in
                if case .changed(target, let mask, _) = event { all.formUnion(mask) }
            }
        }
        await collect(watcher, &iterator, into: &seen) { masks($0).contains(.delete) }
        #expect(masks(seen).isSuperset(of: [.create, .closeWrite, .delete]))
    }

    @Test("a missing folder is refused before anything starts")
    func missingFolder() throws {
        let folder = try TemporaryFolder()
        #expect(throws: WatcherError.self) {
            try InotifyWatcher.start(folders: [RawPath(folder.path + "/nope")]) { _ in true }
        }
    }

    @Test("a second watcher in the same process is refused; after stop a new one starts")
    func onePerProcess() throws {
        let folder = try TemporaryFolder()
        let first = try InotifyWatcher.start(folders: [RawPath(folder.path)]) { _ in true }
        #expect(throws: WatcherError.self) {
            try InotifyWatcher.start(folders: [RawPath(folder.path)]) { _ in true }
        }
        first.stop()
        let second = try InotifyWatcher.start(folders: [RawPath(folder.path)]) { _ in true }
        second.stop()
    }

    @Test("a burst twice the kernel's queue while the watcher's thread takes nothing: no overflow, every file reported")
    func heldThreadNoOverflow() async throws {
        let (files, seen) = try await burstWhileHeld(readerByteLimit: InotifyReader.defaultByteLimit)
        #expect(!seen.contains(.overflow), "the reader kept the kernel's queue empty")
        #expect(changedNames(seen).isSuperset(of: files))
    }

    @Test("the same burst past what the reader may hold: the kernel's queue overflows, and the rescan finds every file")
    func heldThreadOverflowPastLimit() async throws {
        let (files, seen) = try await burstWhileHeld(readerByteLimit: 64 << 10)
        #expect(seen.contains(.overflow), "with 64 KiB held, the rest waits in the kernel's queue")
        var reported = changedNames(seen)
        for case .found(let path, .rescan, _) in seen { reported.insert(path.lastComponent.description) }
        #expect(reported.isSuperset(of: files))
    }

    /// Names of the files `changed` events were about.
    private func changedNames(_ events: [WatcherEvent]) -> Set<String> {
        Set(events.compactMap { if case .changed(let path, _, _) = $0 { path.lastComponent.description } else { nil } })
    }

    /// Starts a watcher whose client takes nothing once the first walk is done, creates as many files as the
    /// kernel queues events (each makes at least two), then lets the client take them; returns the files'
    /// names and every event received until all of them were reported or an overflow's rescan ended.
    private func burstWhileHeld(readerByteLimit: Int) async throws -> (files: Set<String>, seen: [WatcherEvent]) {
        let folder = try TemporaryFolder()
        let queued = (try? String(contentsOfFile: "/proc/sys/fs/inotify/max_queued_events", encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 16_384
        let count = min(queued, 100_000)
        let client = HeldClient()
        let thread = try WatcherThread.start(
            folders: [RawPath(folder.path)], includeFolder: { _ in true }, keepsGoingAtWatchLimit: false,
            readerByteLimit: readerByteLimit, client: client)
        defer { thread.stop() }
        #expect(await pollAsync(upTo: 30) { client.events.withLock { $0.contains { if case .ready = $0 { true } else { false } } } })
        try folder.shell("seq -f 'n%.0f' 1 \(count) | xargs touch")
        let files = Set((1...count).map { "n\($0)" })
        client.release()
        let complete = await pollAsync(upTo: 60) {
            client.events.withLock { events in
                events.contains(.rescanFinished) || changedNames(events).isSuperset(of: files)
            }
        }
        #expect(complete)
        return (files, client.events.withLock { $0 })
    }
}

/// A watcher's client that holds the watcher's thread up: once the first walk is done, it takes no event
/// (``isBehind``) until ``release()``.
private final class HeldClient: WatcherClient, @unchecked Sendable {
    let events = Mutex<[WatcherEvent]>([])
    let attention = WakeUpDescriptor()
    private let isHeld = Mutex(true)

    var isBehind: Bool {
        isHeld.withLock { $0 } && events.withLock { $0.contains { if case .ready = $0 { true } else { false } } }
    }
    var wakeUpTime: ContinuousClock.Instant? { nil }
    var readPause: Duration { .zero }
    var isFinished: Bool { false }

    func release() {
        isHeld.withLock { $0 = false }
        attention.wake()
    }

    func receive(_ batch: [WatcherEvent]) { events.withLock { $0 += batch } }
    func tick() {}
    func wokeUp(late: Duration) {}
    func end(error: WatcherError?) {}
}
