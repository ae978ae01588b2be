// SPDX-License-Identifier: GPL-2.0-or-later

/// Whose turn it is to run: a receiver's `on_busy` (through its ``ReceiverGate``), then one of the `jobs`
/// slots. Single runs and batch runs (`Dispatcher+Batches`) take their turns the same way.
extension Dispatcher {
    /// Whether a run of a receiver may go on, once its `on_busy` had its say.
    enum Turn {
        /// Go on; leave the receiver's gate with this ticket afterwards.
        case run(ticket: Int)
        /// Do not run, for this reason.
        case skip(reason: String)
    }

    /// Waits for `receiver`'s turn as its `on_busy` says: `queue` until its run going ends, `restart` stopping
    /// it (unless a newer signal already `superseded` this one), `skip` not at all, `parallel` never.
    func takeTurn(_ receiver: ReceiverDeclaration, stop: ProcessRunner.StopHandle, superseded: Bool = false) async -> Turn {
        let gate = gate(for: receiver)
        switch receiver.onBusy {
        case .queue: return .run(ticket: await gate.enterWhenFree(stop))
        case .restart:
            guard !superseded, let entered = await gate.enterStoppingOthers(stop) else { return .skip(reason: "a newer signal restarts it (on_busy = restart)") }
            return .run(ticket: entered)
        case .parallel: return .run(ticket: await gate.enter(stop))
        case .skip:
            guard let entered = await gate.enterIfFree(stop) else { return .skip(reason: "a run is still going (on_busy = skip)") }
            return .run(ticket: entered)
        }
    }

    /// After its turn (`ticket`): waits for one of the `jobs` slots, runs `run`, and runs it again while it
    /// cannot start for now; then gives the slot and the turn back. `signal` (the last one it serves; nil for
    /// a first run) names a run that never starts.
    func runInSlot(
        _ receiver: ReceiverDeclaration, ticket: Int, signal: SignalPayload?, run: () async -> ReceiverReport
    ) async -> ReceiverReport {
        let gate = gate(for: receiver)
        await slots.acquire()
        // Closed while waiting for its turn (SIGQUIT, a second SIGINT): it does not start, and its signal stays
        // unfinished in the journal.
        if isClosed {
            var result = ReceiverResult(
                seq: signal?.seq ?? 0, receiver: receiver.name, signal: signal?.signal ?? "", instance: signal?.instance ?? RawPath(""),
                status: .skipped, code: nil, milliseconds: 0, message: "filesignals is stopping")
            result.wasStopped = true
            await slots.release()
            await gate.leave(ticket)
            return ReceiverReport(result: result)
        }
        var outcome = await run()
        // Out of descriptors or processes for now (a burst at a low `ulimit -n`): the run is not done; it waits
        // and is tried again. Closed meanwhile, its signal stays unfinished and is dispatched at the next start.
        var pause = Duration.milliseconds(50)
        while outcome.couldNotStartForNow {
            if isClosed {
                outcome.result.wasStopped = true
                break
            }
            if lastShortageWarning.map({ ContinuousClock.now - $0 > .seconds(60) }) ?? true {
                lastShortageWarning = .now
                warn(.cannotStartForNow(receiver: receiver.name, reason: outcome.result.message ?? "cannot start"))
            }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(250))
            outcome = await run()
        }
        await slots.release()
        await gate.leave(ticket)
        return outcome
    }

    /// The gate of `receiver`, kept by its delivery key (its `dispatch_uid` or name) across reloads.
    func gate(for receiver: ReceiverDeclaration) -> ReceiverGate {
        let key = receiver.deliveryKey
        if let gate = gates[key] { return gate }
        let gate = ReceiverGate()
        gates[key] = gate
        return gate
    }
}
