// SPDX-License-Identifier: GPL-2.0-or-later

/// Receivers that run once per burst (`batch = yes`): the signals that reach one while a burst goes on (a
/// checkout, a build writing 50 files) wait together and are served by one run, with every signal on stdin.
///
/// Each signal still takes its turn in its instance's lane, so an instance's signals keep their order: a
/// second save of a file waits for the run that serves its first, and goes in the next batch. A batch is run
/// once no signal has joined it for ``batchQuiet`` (or ``batchLongest`` after it was opened, so that a steady
/// stream of saves still runs it), and when its `on_busy` lets it: with `queue`, signals that come while the
/// previous run goes on join the next batch, which runs once, afterwards; with `restart`, the next batch stops
/// the run going.
extension Dispatcher {
    /// How long no signal must join a batch before it runs: longer than the gaps between the decisions of one
    /// burst (settled files are handed over every few milliseconds), short enough not to be noticed.
    static let batchQuiet = Duration.milliseconds(50)
    /// The longest a batch waits for signals to stop joining it.
    static let batchLongest = Duration.seconds(1)

    /// Signals gathered for a batch receiver's next run, and the lanes waiting for its result.
    struct PendingBatch {
        var receiver: ReceiverDeclaration
        var signals: [SignalPayload] = []
        /// Their JSON lines, for the run's stdin.
        var lines: [UInt8] = []
        var waiters: [CheckedContinuation<ReceiverResult, Never>] = []
        let opened: ContinuousClock.Instant
        var lastJoined: ContinuousClock.Instant
    }

    /// Serves `signal` by the batch `receiver` runs next; returns the result of the run that served it (or why
    /// it did not run).
    func runInBatch(_ receiver: ReceiverDeclaration, _ signal: SignalPayload, line: [UInt8]) async -> ReceiverResult {
        if let refused = loopGuardRefusal(receiver, signal) { return refused }
        let key = receiver.deliveryKey
        return await withCheckedContinuation { continuation in
            let now = ContinuousClock.now
            if batches[key] == nil {
                batches[key] = PendingBatch(receiver: receiver, opened: now, lastJoined: now)
                Task { await self.runBatchWhenQuiet(key) }
            }
            batches[key]!.receiver = receiver
            batches[key]!.signals.append(signal)
            batches[key]!.lines += line
            batches[key]!.waiters.append(continuation)
            batches[key]!.lastJoined = now
        }
    }

    /// Waits until the batch of `key` is quiet and its turn has come, then runs it once for all its signals.
    private func runBatchWhenQuiet(_ key: String) async {
        while let batch = batches[key], !isClosed {
            let due = min(batch.lastJoined + Self.batchQuiet, batch.opened + Self.batchLongest)
            if ContinuousClock.now >= due { break }
            try? await Task.sleep(until: due, clock: .continuous)
        }
        guard let receiver = batches[key]?.receiver else { return }
        let stop = ProcessRunner.StopHandle()
        let turn = isClosed ? Turn.skip(reason: "filesignals is stopping") : await takeTurn(receiver, stop: stop)
        // Signals that joined while it waited for its turn are served by this run too.
        guard let batch = batches.removeValue(forKey: key), let last = batch.signals.last else { return }
        var result: ReceiverResult
        switch turn {
        case .skip(let reason) where isClosed:
            // Stopping: the batch's deliveries stay unfinished, for the next start (said, as for each signal
            // of a receiver that runs once per signal).
            result = ReceiverResult(
                seq: last.seq, receiver: receiver.name, signal: last.signal, instance: last.instance,
                status: .skipped, code: nil, milliseconds: 0, message: reason)
            result.signals = batch.signals.count
            if batch.signals.count > 1 { result.servedSeqs = batch.signals.map(\.seq) }
            report(ReceiverReport(result: result))
            result.wasStopped = true
        case .skip(let reason):
            result = ReceiverResult(
                seq: last.seq, receiver: receiver.name, signal: last.signal, instance: last.instance,
                status: .skipped, code: nil, milliseconds: 0, message: reason)
            result.signals = batch.signals.count
            report(ReceiverReport(result: result))
        case .run(let ticket):
            // A newer signal of any of its instances stops a `restart` run (see `dispatch`).
            if receiver.onBusy == .restart {
                for signal in batch.signals { restartRuns[signal.path, default: []].append((receiver, stop)) }
            }
            let started = LoopGuard.wallClockNanoseconds()
            let outcome = await runInSlot(receiver, ticket: ticket, signal: last) {
                await self.runner.runBatch(receiver, batch.signals, lines: batch.lines, stop: stop, isStopping: { await self.isClosed })
            }
            if receiver.onBusy == .restart {
                for signal in batch.signals {
                    restartRuns[signal.path]?.removeAll { $0.stop === stop }
                    if restartRuns[signal.path]?.isEmpty == true { restartRuns[signal.path] = nil }
                }
            }
            if outcome.result.status != .skipped {
                for signal in batch.signals {
                    loopGuard.runEnded(LoopGuard.Key(receiver: key, instance: signal.path), startedAt: started, path: signal.path)
                }
            }
            report(outcome)
            result = outcome.result
        }
        for waiter in batch.waiters { waiter.resume(returning: result) }
    }

    /// Runs `receiver` once with no signal (`--run-first`: a build or a server started with the watch), under
    /// its `on_busy` like any run: with `restart`, the first signal stops it. Nothing is journaled for it.
    public func runFirst(_ receiver: ReceiverDeclaration) async {
        guard !isClosed else { return }
        runsOutsideLanes += 1
        defer {
            runsOutsideLanes -= 1
            resumeIdleWaitersIfIdle()
        }
        let stop = ProcessRunner.StopHandle()
        guard case .run(let ticket) = await takeTurn(receiver, stop: stop) else { return }
        let outcome = await runInSlot(receiver, ticket: ticket, signal: nil) {
            await self.runner.runBatch(receiver, [], lines: [], stop: stop, isStopping: { await self.isClosed })
        }
        report(outcome)
    }
}
