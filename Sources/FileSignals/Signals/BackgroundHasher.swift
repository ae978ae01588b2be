// SPDX-License-Identifier: GPL-2.0-or-later

/// Computes content hashes of instances off the event path: at start-up, a large tree is known by its
/// `lstat` at once and hashed afterwards, so that watching starts fast. One task works through the paths
/// in order and sends the results back into the bridge's input in small batches.
final class BackgroundHasher: Sendable {
    /// One hash, with the state the file had before and after it was read (they must agree to be used).
    struct Result: Sendable {
        var path: RawPath
        var state: InstanceState
        var digest: [UInt8]
    }

    private let requests: AsyncStream<[RawPath]>.Continuation
    private let worker: Task<Void, Never>

    init(results: AsyncStream<Bridge.Input>.Continuation, batchSize: Int = 256) {
        let (stream, requests) = AsyncStream.makeStream(of: [RawPath].self)
        self.requests = requests
        worker = Task.detached(priority: .utility) {
            for await paths in stream {
                var batch: [Result] = []
                var attempted = 0
                for path in paths {
                    if Task.isCancelled { return }
                    attempted += 1
                    if let before = InstanceState.read(at: path), let digest = ContentHash.sha256(of: path),
                       InstanceState.read(at: path) == before {
                        batch.append(Result(path: path, state: before, digest: digest))
                    }
                    if attempted >= batchSize {
                        results.yield(.hashes(batch, attempted: attempted))
                        batch.removeAll()
                        attempted = 0
                    }
                }
                if attempted > 0 { results.yield(.hashes(batch, attempted: attempted)) }
            }
        }
    }

    /// Queues `paths` for hashing.
    func hash(_ paths: [RawPath]) {
        if !paths.isEmpty { requests.yield(paths) }
    }

    /// Stops the work: what is not hashed yet stays unhashed (and counts as changed at its next save).
    func finish() {
        requests.finish()
        worker.cancel()
    }
}
