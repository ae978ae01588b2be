// SPDX-License-Identifier: GPL-2.0-or-later
import Synchronization

/// Computes content hashes of instances off the event path: at start-up, a large tree is known by its
/// `lstat` at once and hashed afterwards, so that watching starts fast. One task works through the paths
/// in order; its results wait here, in small batches, until ``takeResults()``, and each batch wakes the
/// descriptor it was given.
final class BackgroundHasher: Sendable {
    /// One hash, with the state the file had before and after it was read (they must agree to be used).
    struct Result: Sendable {
        var path: RawPath
        var state: InstanceState
        var digest: [UInt8]
    }

    /// Results computed, and how many paths were attempted for them (a file that changed or vanished while
    /// it was read has no result but was attempted).
    typealias Batch = (results: [Result], attempted: Int)

    private let requests: AsyncStream<[RawPath]>.Continuation
    private let worker: Task<Void, Never>
    private let finished = Finished()

    init(wakeUp: WakeUpDescriptor, policy: DigestPolicy, batchSize: Int = 256) {
        let (stream, requests) = AsyncStream.makeStream(of: [RawPath].self)
        self.requests = requests
        let finished = self.finished
        worker = Task.detached(priority: .utility) {
            func deliver(_ batch: Batch) {
                finished.batches.withLock { $0.append(batch) }
                wakeUp.wake()
            }
            for await paths in stream {
                var batch: [Result] = []
                var attempted = 0
                for path in paths {
                    if Task.isCancelled { return }
                    attempted += 1
                    if let before = InstanceState.read(at: path), policy.covers(before), let digest = ContentHash.sha256(of: path, expectedSize: before.size),
                       InstanceState.read(at: path) == before {
                        batch.append(Result(path: path, state: before, digest: digest))
                    }
                    if attempted >= batchSize {
                        deliver((batch, attempted))
                        batch.removeAll()
                        attempted = 0
                    }
                }
                if attempted > 0 { deliver((batch, attempted)) }
            }
        }
    }

    /// Queues `paths` for hashing.
    func hash(_ paths: [RawPath]) {
        if !paths.isEmpty { requests.yield(paths) }
    }

    /// The batches finished since the last call.
    func takeResults() -> [Batch] {
        finished.batches.withLock { finished in
            defer { finished.removeAll() }
            return finished
        }
    }

    /// The batches finished and not yet taken, shared with the worker.
    private final class Finished: Sendable {
        let batches = Mutex<[Batch]>([])
    }

    /// Stops the work: what is not hashed yet stays unhashed (and counts as changed at its next save).
    func finish() {
        requests.finish()
        worker.cancel()
    }
}
