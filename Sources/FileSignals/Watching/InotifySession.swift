// SPDX-License-Identifier: GPL-2.0-or-later
import CInotifyTools
import Foundation
import Glibc

/// libinotifytools' one instance in this process, with our own map of watch descriptors to folders.
///
/// The library keeps its state in C globals and is not thread-safe, so a session is created, used and
/// destroyed on the watcher's own thread and never leaves it (this class is deliberately not `Sendable`).
///
/// What the library does for us: the inotify instance. What we do ourselves, because the library gets it
/// wrong (see `shared/LIBINOTIFYTOOLS.md`): watches are added with `inotify_add_watch` on the library's
/// descriptor so that we learn each watch descriptor (`inotifytools_watch_file` does not return it, and
/// looking it up by name returns dead descriptors for re-created folders); folders are walked pre-order,
/// watch first and list second, so that nothing created in a new folder before its watch existed is missed;
/// the descriptor-to-path map is ours; and events are read by an ``InotifyReader`` on a thread of its own,
/// so that the kernel's queue is emptied even while this thread is busy.
final class InotifySession {
    /// The library's inotify descriptor (see ``InotifyLibraryDescriptor``).
    let descriptor: Int32
    /// Reads ``descriptor``; its ``InotifyReader/readable`` is what the watcher's thread waits on.
    let reader: InotifyReader
    /// Events taken from the reader and not handled yet.
    private var taken = InotifyEventChunks()
    private(set) var folderByDescriptor: [Int32: RawPath] = [:]
    private let includeFolder: @Sendable (RawPath) -> Bool
    /// At the watch limit, skip the folder (with a warning) instead of failing.
    private let keepsGoingAtWatchLimit: Bool
    private var hasWarnedOfWatchLimit = false
    /// Do not descend into folders on another file system than their top folder's (`find -xdev`).
    private let staysOnOneFileSystem: Bool
    /// The device of each top folder, for ``staysOnOneFileSystem``.
    private var rootDevices: [RawPath: UInt64] = [:]
    /// Pseudo file systems met below a top folder and warned of, by device.
    private var pseudoDevicesWarned: Set<UInt64> = []
    /// The top folders, as given to the first walk.
    private var roots: [RawPath] = []
    /// Top folders that were removed or renamed away, waited for until they exist again.
    var missingRoots: Set<RawPath> = []
    /// Watches on the nearest existing ancestor of a missing top folder, to see it come back.
    var ancestorWatches: [Int32: RawPath] = [:]
    /// Watches that stood at a path when a folder was renamed onto it (an exchange, or a rename over an empty
    /// folder), by that path, until the queue has been read: see ``folderRenamed(from:to:)``.
    private var displacedWatches: [RawPath: Set<Int32>] = [:]
    /// Folders renamed away (`MOVED_FROM|ISDIR`) whose `MOVED_TO` has not been read yet, by cookie.
    private var foldersMovedAway: [UInt32: RawPath] = [:]
    private(set) var fileCount = 0
    /// Events not yet handed to `deliver`.
    private var outgoing: [WatcherEvent] = []
    /// Receives the session's events in batches of about `batchLimit`, on the watcher's thread.
    private let deliver: ([WatcherEvent]) -> Void
    private let batchLimit: Int

    var folderCount: Int { folderByDescriptor.count }

    /// - Parameters:
    ///   - readerByteLimit: what the ``InotifyReader`` may hold, in bytes of events.
    ///   - deliver: receives every event, in order, in batches of up to `batchLimit` (a walk of a large tree
    ///     is handed over while it goes on, so that its events never pile up in memory).
    init(
        includeFolder: @escaping @Sendable (RawPath) -> Bool, keepsGoingAtWatchLimit: Bool = false,
        staysOnOneFileSystem: Bool = false, batchLimit: Int = 4096, readerByteLimit: Int = InotifyReader.defaultByteLimit,
        deliver: @escaping ([WatcherEvent]) -> Void
    ) throws(WatcherError) {
        self.keepsGoingAtWatchLimit = keepsGoingAtWatchLimit
        self.staysOnOneFileSystem = staysOnOneFileSystem
        self.includeFolder = includeFolder
        self.deliver = deliver
        self.batchLimit = batchLimit
        guard inotifytools_initialize() != 0 else {
            throw .cannotInitialize(errno: Int32(inotifytools_error()))
        }
        guard let found = InotifyLibraryDescriptor.find() else {
            inotifytools_cleanup()
            throw .cannotInitialize(errno: EBADF)
        }
        descriptor = found
        // The library opens its descriptor without close-on-exec: every receiver would inherit it.
        _ = fcntl(descriptor, F_SETFD, fcntl(descriptor, F_GETFD) | FD_CLOEXEC)
        // Reading from now on: what happens during the first walk waits in memory, not in the kernel's queue.
        guard let reader = InotifyReader(descriptor: descriptor, byteLimit: readerByteLimit) else {
            inotifytools_cleanup()
            throw .cannotInitialize(errno: EMFILE)
        }
        self.reader = reader
    }

    deinit {
        reader.stop()
        inotifytools_cleanup()
    }

    /// Adds an event to those handed over next.
    func emit(_ event: WatcherEvent) {
        outgoing.append(event)
        if outgoing.count >= batchLimit { handOver() }
    }

    /// Delivers the events not yet delivered.
    func handOver() {
        guard !outgoing.isEmpty else { return }
        let batch = outgoing
        outgoing.removeAll(keepingCapacity: true)
        deliver(batch)
    }

    /// Watches `folder` and everything below it that `includeFolder` accepts, pre-order, emitting every
    /// file found as `found`.
    ///
    /// - Throws: `watchLimitReached` when the kernel refuses a watch with `ENOSPC` (unless the session keeps
    ///   going at the limit); other failures on subfolders (unreadable, vanished meanwhile) become warnings
    ///   and `skipped` events.
    func watchTree(_ folder: RawPath, reason: WatcherEvent.ScanReason) throws(WatcherError) {
        if reason == .initialWalk && !roots.contains(folder) { roots.append(folder) }
        // Each folder's watch exists before it is listed, so anything created meanwhile is reported.
        try FolderWalk.walk(
            from: folder, includeFolder: includeFolder, enter: { (next) throws(WatcherError) in try watch(next, reason: reason) },
            file: { path, state in found(path, state, reason: reason) }, unreadable: { next, code in skip(next, listing: true, code) })
    }

    /// The first walk of `folders` with a second thread listing folders (``FolderLister``) while this one
    /// adds the watches and emits the files: the same events as ``watchTree(_:reason:)``, in another order.
    func watchTreesInParallel(_ folders: [RawPath]) throws(WatcherError) {
        let lister = FolderLister()
        defer { lister.finish() }
        var listing = 0
        func watchAndList(_ folders: [RawPath]) throws(WatcherError) {
            for folder in folders where try watch(folder, reason: .initialWalk) {
                lister.list(folder)
                listing += 1
            }
        }
        for folder in folders where !roots.contains(folder) { roots.append(folder) }
        try watchAndList(folders)
        while listing > 0 {
            for part in lister.takeFinished() {
                var subfolders: [RawPath] = []
                if let code = part.error { skip(part.folder, listing: true, code) }
                for entry in part.entries {
                    let path = part.folder.appending(entry.name)
                    if !entry.isFolder {
                        found(path, entry.state, reason: .initialWalk)
                    } else if includeFolder(path) {
                        subfolders.append(path)
                    }
                }
                if part.isComplete { listing -= 1 }
                try watchAndList(subfolders)
            }
        }
    }

    /// Adds the watch on `folder`; returns whether it is to be listed (false when it could not be watched,
    /// or was walked already).
    private func watch(_ folder: RawPath, reason: WatcherEvent.ScanReason) throws(WatcherError) -> Bool {
        let watch = addWatch(on: folder)
        if watch < 0 {
            let code = errno
            if code == ENOSPC {
                let error = WatcherError.watchLimitReached(limit: Self.maxUserWatches())
                guard keepsGoingAtWatchLimit else { throw error }
                if !hasWarnedOfWatchLimit {
                    hasWarnedOfWatchLimit = true
                    emit(.warning(.watchLimitReached(error, folder: folder)))
                }
                emit(.skipped(folder: folder))
                return false
            }
            // A folder removed (or replaced, by a link too) between its event and our watch is simply gone; one
            // on another file system was left out on purpose (its files are not instances).
            if code != ENOENT && code != ENOTDIR && code != ELOOP && code != EXDEV { skip(folder, listing: false, code) }
            return false
        }
        // Two models may name nested folders: a folder already walked at start is not listed twice.
        if reason == .initialWalk, folderByDescriptor[watch] == folder { return false }
        folderByDescriptor[watch] = folder
        return true
    }

    /// Adds a watch on `folder` reached with no symbolic link in its path, so that a folder of the tree swapped
    /// for a link (or a folder above it swapped) never gets a watch outside the tree. inotify has no `*at`
    /// call: the folder is opened first and watched through its descriptor's `/proc/self/fd` entry. Without
    /// /proc, the path is watched with IN_DONT_FOLLOW (which guards its last component only).
    /// A folder on a pseudo file system, or (with ``staysOnOneFileSystem``) on another file system than its top
    /// folder, is not watched: -1 with `errno` EXDEV.
    /// - Returns: the watch descriptor, or -1 with `errno`.
    private func addWatch(on folder: RawPath) -> Int32 {
        let flags = InotifyMask.watched.union(.watchFlags)
        let opened = folder.openWithoutSymlinks(O_PATH | O_DIRECTORY)
        guard opened >= 0 else { return -1 }
        defer { close(opened) }
        guard isOnWatchableFileSystem(folder, opened) else {
            errno = EXDEV
            return -1
        }
        guard Self.hasProcDescriptors else { return folder.withCString { inotify_add_watch(descriptor, $0, flags.rawValue) } }
        // The /proc entry is a link to the folder itself, which must be followed.
        let mask = flags.rawValue & ~UInt32(IN_DONT_FOLLOW)
        return "/proc/self/fd/\(opened)".withCString { inotify_add_watch(descriptor, $0, mask) }
    }

    /// Whether the folder open as `opened` is on a file system the walk goes into: never a pseudo file system
    /// (warned of once per mount), and with ``staysOnOneFileSystem`` only its top folder's.
    private func isOnWatchableFileSystem(_ folder: RawPath, _ opened: Int32) -> Bool {
        var info = stat()
        guard fstat(opened, &info) == 0 else { return true }
        let device = UInt64(info.st_dev)
        let top = roots.first { folder.relative(to: $0) != nil }
        if let top, top == folder || rootDevices[top] == nil { rootDevices[top] = device }
        if let top, device == rootDevices[top] { return true }
        if let name = PseudoFileSystem.name(of: opened) {
            if pseudoDevicesWarned.insert(device).inserted {
                emit(.warning(.pseudoFileSystem(folder: folder, fileSystem: name)))
            }
            return false
        }
        return !staysOnOneFileSystem
    }

    private static let hasProcDescriptors = access("/proc/self/fd", F_OK) == 0

    /// A file the walk found.
    private func found(_ path: RawPath, _ state: InstanceState?, reason: WatcherEvent.ScanReason) {
        fileCount += 1
        emit(.found(path: path, reason: reason, state: state))
    }

    /// A folder that could not be watched or listed: a warning, and a `skipped` event so that its instances
    /// are left as they were.
    private func skip(_ folder: RawPath, listing: Bool, _ code: Int32) {
        emit(.warning(.unreadableFolder(folder, listing: listing, errno: code)))
        emit(.skipped(folder: folder))
    }

    /// Handles up to `limit` events the reader has read or the kernel has queued, without blocking,
    /// emitting them as Swift values (handed over in batches, the rest at ``handOver()``). New folders are
    /// watched and listed on the spot; after an overflow, every top folder is walked again.
    ///
    /// - Returns: false when `limit` events were read and more may be waiting.
    func drain(limit: Int) -> Bool {
        for _ in 0..<limit {
            if taken.isEmpty { taken.refill(reader.take()) }
            guard let event = taken.next() else {
                forgetFoldersMovedOut()
                return true
            }
            handle(wd: event.wd, mask: event.mask, cookie: event.cookie, name: event.name)
        }
        return false
    }

    /// One event read from inotify: `name` is empty for an event on the watched folder itself.
    private func handle(wd: Int32, mask: InotifyMask, cookie: UInt32, name: ArraySlice<UInt8>) {
        if mask.contains(.queueOverflow) {
            rescan()
            return
        }
        if ancestorWatches[wd] != nil, folderByDescriptor[wd] == nil {
            if mask.contains(.ignored) { ancestorWatches[wd] = nil }
            restoreMissingRoots()
            return
        }
        guard let folder = folderByDescriptor[wd] else { return }
        if mask.contains(.ignored) {
            // The kernel dropped the watch: its folder was removed or its filesystem unmounted.
            folderByDescriptor[wd] = nil
            if roots.contains(folder) { rootVanished(folder) }
            return
        }
        if name.isEmpty {
            // Events on a watched folder itself also arrive, with the folder's name, on its parent's
            // watch; only a top folder has no parent to tell.
            if mask.contains(.deleteSelf) || mask.contains(.moveSelf) {
                emit(.changed(path: folder, mask: mask, cookie: cookie))
            }
            if mask.contains(.moveSelf) && roots.contains(folder) {
                // Renamed away: its watches would go on reporting under a path that is no longer it.
                unwatchTree(folder)
                rootVanished(folder)
            }
            return
        }
        let path = folder.appending(name: name)
        emit(.changed(path: path, mask: mask, cookie: cookie))
        guard mask.contains(.isDirectory) else { return }
        if mask.contains(.movedFrom) {
            foldersMovedAway[cookie] = path
        } else if mask.contains(.movedTo), let old = foldersMovedAway.removeValue(forKey: cookie) {
            folderRenamed(from: old, to: path)
        } else if mask.contains(.create) || mask.contains(.movedTo) {
            watchNewFolder(path)
        }
        if !missingRoots.isEmpty && (mask.contains(.create) || mask.contains(.movedTo)) {
            restoreMissingRoots()
        }
    }

    /// Watches and lists a folder that appeared while watching.
    private func watchNewFolder(_ path: RawPath) {
        guard includeFolder(path) else { return }
        do {
            try watchTree(path, reason: .newFolder)
        } catch {
            emit(.warning(.cannotWatch(error)))
        }
    }

    /// A folder renamed within the tree keeps its watches; only their paths change. It is listed again,
    /// since what was created in it while the rename was in flight may have been reported under the old path.
    ///
    /// The watches that move are those under `old`, except in the second half of an exchange
    /// (`renameat2(RENAME_EXCHANGE)` gives two renames, `a` to `b`, then `b` to `a`): there, the watches under
    /// `b` include those the first half just moved there, and only the ones that stood there before move.
    private func folderRenamed(from old: RawPath, to new: RawPath) {
        var moving: Set<Int32> = displacedWatches.removeValue(forKey: old).map { $0.filter { folderByDescriptor[$0] != nil } } ?? []
        if moving.isEmpty { moving = Set(folderByDescriptor.filter { $0.value.relative(to: old) != nil }.keys) }
        let standing = folderByDescriptor.filter { !moving.contains($0.key) && $0.value.relative(to: new) != nil }.keys
        if !standing.isEmpty { displacedWatches[new] = Set(standing) }
        for wd in moving {
            guard let rest = folderByDescriptor[wd]?.relative(to: old) else { return }
            folderByDescriptor[wd] = rest.isEmpty ? new : new.appending(rest)
        }
        if includeFolder(new) {
            watchNewFolder(new)
        } else {
            unwatchTree(new)
        }
    }

    /// Folders renamed away whose partner never came (they left the watched tree): their watches would
    /// report events from outside the tree under stale paths, so they are removed.
    private func forgetFoldersMovedOut() {
        // Both halves of an exchange are queued together: with the queue read, none is still to come.
        displacedWatches.removeAll()
        guard !foldersMovedAway.isEmpty else { return }
        for path in foldersMovedAway.values { unwatchTree(path) }
        foldersMovedAway.removeAll()
    }

    /// Removes the watches on `folder` and everything below it.
    private func unwatchTree(_ folder: RawPath) {
        for (wd, path) in folderByDescriptor where path.relative(to: folder) != nil {
            folderByDescriptor[wd] = nil
            inotify_rm_watch(descriptor, wd)
        }
    }

    /// After an overflow: every top folder is walked again (watching folders that appeared meanwhile), so
    /// that the reconciler can compare the disk with its table.
    private func rescan() {
        emit(.overflow)
        for root in roots where !missingRoots.contains(root) {
            do {
                try watchTree(root, reason: .rescan)
            } catch {
                emit(.warning(.cannotWatch(error)))
            }
        }
        emit(.rescanFinished)
    }

    /// `fs.inotify.max_user_watches`, read from `/proc` (the library's getter reads it too, but its sibling
    /// for queued events is broken, so both are read the same way here).
    static func maxUserWatches() -> Int? {
        let descriptor = open("/proc/sys/fs/inotify/max_user_watches", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = read(descriptor, &buffer, buffer.count)
        guard count > 0 else { return nil }
        return Int(String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
