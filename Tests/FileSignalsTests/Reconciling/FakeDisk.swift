// SPDX-License-Identifier: GPL-2.0-or-later
@testable import FileSignals
import Glibc
import Synchronization

/// A disk in memory for the reconciler, which also says what inotify would report for each change made to
/// it: a test writes a save style as the operations an editor makes, and feeds the events to the reconciler.
///
/// Paths are absolute; folders exist implicitly. Each write gets a new mtime, each new file a new inode.
final class FakeDisk: DiskProbe {
    struct File {
        var inode: UInt64
        var content: [UInt8]
        var mtime: Int64
        var isOpen = false
    }

    private struct State {
        var files: [RawPath: File] = [:]
        var nextInode: UInt64 = 100
        var clock: Int64 = 1_000_000_000
        var nextCookie: UInt32 = 1
        /// Paths whose look fails for now (out of descriptors).
        var unreadable: Set<RawPath> = []
    }

    private let state = Mutex(State())

    // MARK: DiskProbe

    func look(at path: RawPath) -> InstanceState.Look {
        state.withLock { state in
            if state.unreadable.contains(path) { return .unknown }
            guard let file = state.files[path] else { return .absent }
            return .present(Self.instanceState(file))
        }
    }

    func sha256(of path: RawPath, expectedSize: Int64) -> [UInt8]? {
        state.withLock { state in
            guard let file = state.files[path], Int64(file.content.count) == expectedSize else { return nil }
            return ContentHash.sha256(of: file.content[...])
        }
    }

    func arrivedWhole(at path: RawPath) -> Bool {
        state.withLock { $0.files[path].map { !$0.isOpen } ?? true }
    }

    // MARK: Changes, each returning what inotify reports

    /// Writes `text` as `echo > path` does: created when missing, truncated and written when not; closed
    /// unless `keepOpen`.
    @discardableResult
    func write(_ path: RawPath, _ text: String, keepOpen: Bool = false) -> [WatcherEvent] {
        state.withLock { state in
            state.clock += 1_000_000
            var events: [WatcherEvent] = []
            if state.files[path] == nil {
                state.files[path] = File(inode: state.nextInode, content: [], mtime: state.clock)
                state.nextInode += 1
                events.append(.changed(path: path, mask: .create, cookie: 0))
            }
            state.files[path]!.content = Array(text.utf8)
            state.files[path]!.mtime = state.clock
            state.files[path]!.isOpen = keepOpen
            events.append(.changed(path: path, mask: .modify, cookie: 0))
            if !keepOpen { events.append(.changed(path: path, mask: .closeWrite, cookie: 0)) }
            return events
        }
    }

    /// `chmod`-like: a new mtime only (an attribute change).
    @discardableResult
    func touch(_ path: RawPath) -> [WatcherEvent] {
        state.withLock { state in
            state.clock += 1_000_000
            state.files[path]?.mtime = state.clock
            return [.changed(path: path, mask: .attrib, cookie: 0)]
        }
    }

    /// `rm`.
    @discardableResult
    func remove(_ path: RawPath) -> [WatcherEvent] {
        state.withLock { $0.files[path] = nil }
        return [.changed(path: path, mask: .delete, cookie: 0)]
    }

    /// `mv` of a file (over whatever is at `target`).
    @discardableResult
    func rename(_ source: RawPath, to target: RawPath) -> [WatcherEvent] {
        state.withLock { state in
            state.files[target] = state.files.removeValue(forKey: source)
            defer { state.nextCookie += 1 }
            return [
                .changed(path: source, mask: .movedFrom, cookie: state.nextCookie),
                .changed(path: target, mask: .movedTo, cookie: state.nextCookie),
            ]
        }
    }

    /// `mv` of a folder and everything in it.
    @discardableResult
    func renameFolder(_ source: RawPath, to target: RawPath) -> [WatcherEvent] {
        state.withLock { state in
            for (path, file) in state.files {
                guard let rest = path.relative(to: source) else { continue }
                state.files[path] = nil
                state.files[target.appending(rest)] = file
            }
            defer { state.nextCookie += 1 }
            return [
                .changed(path: source, mask: [.movedFrom, .isDirectory], cookie: state.nextCookie),
                .changed(path: target, mask: [.movedTo, .isDirectory], cookie: state.nextCookie),
            ]
        }
    }

    /// Makes looks at `path` fail (or work again), as when the process is out of descriptors.
    func setUnreadable(_ path: RawPath, _ unreadable: Bool) {
        state.withLock { state in
            if unreadable { state.unreadable.insert(path) } else { state.unreadable.remove(path) }
        }
    }

    /// What a walk of the disk finds, as the watcher's listing reports it, in name order.
    func walk(_ reason: WatcherEvent.ScanReason) -> [WatcherEvent] {
        state.withLock { state in
            state.files.keys.sorted().map { .found(path: $0, reason: reason, state: Self.instanceState(state.files[$0]!)) }
        }
    }

    func state(at path: RawPath) -> InstanceState? { read(at: path) }

    private static func instanceState(_ file: File) -> InstanceState {
        InstanceState(inode: file.inode, size: Int64(file.content.count), mode: UInt32(S_IFREG) | 0o644, owner: 1000, mtimeNanoseconds: file.mtime)
    }
}
