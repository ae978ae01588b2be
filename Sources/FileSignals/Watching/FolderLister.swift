// SPDX-License-Identifier: GPL-2.0-or-later
import CProcessSupport
import Foundation

/// Lists folders on threads of their own, so that the first walk of a large tree uses every core: while the
/// watcher's thread adds watches and hands files on, these read the folders they were given (`readdir` and
/// an `fstatat` per file: most of a walk's time, which is why there are two of them).
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
    private var requestsHead = 0
    private let ended = DispatchSemaphore(value: 0)
    private let threadCount: Int

    init(threads: Int = 2) {
        threadCount = threads
        for _ in 0..<threads {
            let thread = Thread { [self] in
                filesignals_name_thread("fs-lister")
                work()
                ended.signal()
            }
            thread.start()
        }
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

    /// Stops the threads (what is not listed yet is dropped) and waits for them to end.
    func finish() {
        condition.lock()
        isClosed = true
        condition.broadcast()
        condition.unlock()
        for _ in 0..<threadCount { ended.wait() }
    }

    private func work() {
        while true {
            // One folder at a time, so that the threads share the work.
            condition.lock()
            while requestsHead == requests.count && !isClosed { condition.wait() }
            if isClosed {
                condition.unlock()
                return
            }
            let folder = requests[requestsHead]
            requestsHead += 1
            if requestsHead == requests.count {
                requests.removeAll(keepingCapacity: true)
                requestsHead = 0
            }
            condition.unlock()
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
