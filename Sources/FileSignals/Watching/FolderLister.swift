// SPDX-License-Identifier: GPL-2.0-or-later
import CProcessSupport
import Foundation

/// Lists folders on a thread of its own, so that the first walk of a large tree uses two cores: while the
/// watcher's thread adds watches and hands files on, this one reads the folders it was given (`readdir`
/// and an `fstatat` per file, most of a walk's system time).
///
/// Results wait here, at most about ``entryLimit`` entries of them, until the watcher's thread takes them:
/// a lister that runs ahead of its reader does not fill memory with the tree.
final class FolderLister: @unchecked Sendable {
    /// Part of one folder's entries, in the order `readdir` gave them; the last part says so.
    struct Listing {
        var folder: RawPath
        var entries: [(name: RawPath, isFolder: Bool, state: InstanceState?)] = []
        /// `errno` when the folder could not be opened.
        var error: Int32?
        var isComplete = false
    }

    /// Entries per listing handed over, and about how many may wait at once (each costs about 100 bytes;
    /// a few thousand keep the two threads busy without holding up memory).
    static let partSize = 1024
    static let entryLimit = 4 * partSize

    private let condition = NSCondition()
    // Guarded by `condition`.
    private var requests: [RawPath] = []
    private var finished: [Listing] = []
    private var entriesWaiting = 0
    private var isClosed = false
    private let ended = DispatchSemaphore(value: 0)

    init() {
        let thread = Thread { [self] in
            filesignals_name_thread("fs-lister")
            work()
            ended.signal()
        }
        thread.start()
    }

    /// Asks for `folder` to be listed.
    func list(_ folder: RawPath) {
        condition.lock()
        requests.append(folder)
        condition.broadcast()
        condition.unlock()
    }

    /// The listings finished so far, waiting until there is at least one.
    func takeFinished() -> [Listing] {
        condition.lock()
        defer { condition.unlock() }
        while finished.isEmpty { condition.wait() }
        defer {
            finished.removeAll(keepingCapacity: true)
            entriesWaiting = 0
            condition.broadcast()
        }
        return finished
    }

    /// Stops the thread (what is not listed yet is dropped) and waits for it to end.
    func finish() {
        condition.lock()
        isClosed = true
        condition.broadcast()
        condition.unlock()
        ended.wait()
    }

    private func work() {
        while true {
            condition.lock()
            while requests.isEmpty && !isClosed { condition.wait() }
            if isClosed {
                condition.unlock()
                return
            }
            let folders = requests
            requests.removeAll(keepingCapacity: true)
            condition.unlock()
            for folder in folders {
                var listing = Listing(folder: folder)
                FolderListing.forEachEntry(in: folder) { name, isFolder, state in
                    listing.entries.append((name, isFolder, state))
                    if listing.entries.count >= Self.partSize {
                        hand(listing)
                        listing.entries.removeAll(keepingCapacity: true)
                    }
                } onError: { code in
                    listing.error = code
                }
                listing.isComplete = true
                if !hand(listing) { return }
            }
        }
    }

    /// Hands a listing over, first waiting while too many entries wait; false once closed.
    @discardableResult
    private func hand(_ listing: Listing) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while entriesWaiting >= Self.entryLimit && !isClosed { condition.wait() }
        if isClosed { return false }
        finished.append(listing)
        entriesWaiting += listing.entries.count
        condition.broadcast()
        return true
    }
}
