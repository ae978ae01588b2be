// SPDX-License-Identifier: GPL-2.0-or-later

/// Settling and deciding: once a path has been quiet for the settle window, the disk is compared with the
/// table and the signals are made; renames a scan saw are paired by inode.
extension Reconciler {
    /// Decides every pending path whose settle window has passed.
    ///
    /// - Parameters:
    ///   - deletionsAsOf: the moment against which an instance found gone is checked for having stayed gone
    ///     for `deleteSettle`; `now` unless a stop decides everything early (see
    ///     ``flushAtStop(now:leavesRecentDeletions:)``).
    ///   - limit: once this many paths are taken, the rest wait for the next call, so that the caller's thread
    ///     reads inotify in between (a burst's thousands of due paths at once kept it from reading for long
    ///     enough that the kernel's queue overflowed). Paths that came due at the same moment (the events of
    ///     one batch, such as the two ends of a rename) are not split, unless a scan found them: a catch-up of
    ///     50,000 changed files, all due as the scan ends, would be decided and held in memory at once, and
    ///     the renames a scan finds are paired whichever end is decided first (``finishScan(now:)``).
    /// - Returns: the signals, in the order the paths became quiet; for a rename, the old instance's delete
    ///   before the new one's save.
    public mutating func flushDue(now: Instant, deletionsAsOf: Instant? = nil, limit: Int = .max) -> [SignalPayload] {
        // How busy the machine is matters only when something is due; read at most every 50 ms.
        if let earliest = due.earliest, earliest <= now { busy.refresh(now: now) }
        var ready: [(path: RawPath, change: PendingChange)] = []
        var taken = 0
        var lastTaken: Instant?
        var lastTakenIsLive = true
        while true {
            if taken >= limit, let next = due.earliest, let lastTaken, next > lastTaken || !lastTakenIsLive { break }
            lastTaken = due.earliest
            guard let path = due.popDue(at: now) else { break }
            // Decided already (a second entry of a path taken in this flush, say): stale.
            guard let index = pending.index(forKey: path) else { continue }
            let change = pending.values[index]
            let current = deadline(of: change)
            if current > now {
                due.push(current, path)   // it changed since: due later
                continue
            }
            if change.isBeingWritten, now < change.lastEvent + options.unclosedWriteTimeout, !probe.arrivedWhole(at: path) {
                // Created or written and never closed: a writer may still hold it open.
                due.push(change.lastEvent + options.unclosedWriteTimeout, path)
                continue
            }
            guard isDecidable(change) else {
                // Its second entry, if any, lands here too: harmless, the scan's end pushes each once more.
                waitingForScan.append(path)
                continue
            }
            pending.remove(at: index)
            ready.append((path, change))
            taken += 1
            lastTakenIsLive = change.source == .live
            // How long after its window ended the decision came: the settle decisions' lag.
            FileSignalsMetrics.time("filesignals_decision_lag_seconds", [], now - current)
        }
        guard !ready.isEmpty else {
            if pending.isEmpty { moveSources.removeAll(); goneByInode.removeAll() }
            return []
        }
        // In the order the paths became quiet; paths quiet since the same moment, by name. Indices are
        // sorted, not the changes themselves, which are large to move.
        let quietSince = ready.map(\.change.lastEvent), paths = ready.map(\.path)
        let order = ready.indices.sorted { a, b in
            quietSince[a] != quietSince[b] ? quietSince[a] < quietSince[b] : paths[a] < paths[b]
        }
        // A MOVED_FROM whose MOVED_TO never came (moved out of the tree) is forgotten once all is settled.
        defer { if pending.isEmpty { moveSources.removeAll(); goneByInode.removeAll() } }
        var decisions: [(path: RawPath, change: PendingChange, decision: Decision)] = []
        decisions.reserveCapacity(order.count)
        for index in order {
            let (path, change) = ready[index]
            let decision = decide(path, change)
            if case .tryAgain = decision {
                // Never a delete, nor a save lost, because the process was out of descriptors for a moment.
                pending[path] = change
                due.push(now + max(options.settle, .milliseconds(10)), path)
                continue
            }
            decisions.append((path, change, decision))
        }
        pairRenamesByInode(&decisions)
        decisions.removeAll { path, change, decision in
            // From here on a delete's `movedTo` is set exactly when it is a rename (``pairRenamesByInode(_:)``).
            guard case .deleted(let record) = decision, change.movedTo == nil else { return false }
            let deadline = deletionDeadline(of: change)
            guard (deletionsAsOf ?? now) < deadline else { return false }
            // Gone, but not for long enough to be sure: a save may be between its unlink and its create.
            pending[path] = change
            due.push(deadline, path)
            goneByInode[record.state.inode] = path
            return true
        }
        // A rename's delete goes out before its save, wherever the two paths fell in the order.
        let deletesFirst = decisions.filter { if case .deleted = $0.decision { $0.change.movedTo != nil } else { false } }
        let others = decisions.filter { if case .deleted = $0.decision { $0.change.movedTo == nil } else { true } }
        var signals: [SignalPayload] = []
        for (path, change, decision) in deletesFirst + others {
            emit(decision, path: path, change: change, into: &signals)
        }
        return signals
    }

    /// Decides everything pending, as watching stops: saves at once, whatever their window. An instance gone
    /// for less than its delete window is decided too when nothing would look at it again; with a state
    /// database (`leavesRecentDeletions`) it stays in the table instead, for the next start's catch-up, so
    /// that a stop in the middle of a save by unlink and create does not report it deleted.
    public mutating func flushAtStop(now: Instant, leavesRecentDeletions: Bool) -> [SignalPayload] {
        let everything = now + .seconds(86_400)
        return flushDue(now: everything, deletionsAsOf: leavesRecentDeletions ? now : everything)
    }

    /// Compares the disk with the table for one path.
    func decide(_ path: RawPath, _ change: PendingChange) -> Decision {
        let before = table[path]
        let state: InstanceState
        switch probe.look(at: path) {
        case .present(let found): state = found
        case .unknown: return .tryAgain
        case .absent:
            if let before = table[path] { return .deleted(before) }
            // Created and removed within one settle window: nothing was ever saved.
            return .nothing
        }
        var after = InstanceRecord(sender: change.sender, instance: change.instance, state: state)
        guard let before else {
            after.sha256 = digest(of: path, state)
            return .created(after)
        }
        // Same lstat: the content is taken to be the same, and the known hash is kept.
        if state == before.state && before.sender == change.sender {
            return change.preSaveSent || change.movedFrom != nil || change.reportsUnchanged ? .updated(before: before, after: before) : .nothing
        }
        after.sha256 = digest(of: path, state)
        return .updated(before: before, after: after)
    }

    /// The digest of the file at `path`, last seen in `state`, when the options ask for it (nil otherwise).
    func digest(of path: RawPath, _ state: InstanceState) -> [UInt8]? {
        options.digests.covers(state) ? probe.sha256(of: path, expectedSize: state.size) : nil
    }

    /// Whether the instance that was at `change`'s path (`record`) is now at the path it was renamed to: a
    /// move within the models, reported at once, not a disappearance that must wait for `deleteSettle`.
    func isRename(_ change: PendingChange, of record: InstanceRecord) -> Bool {
        guard let target = change.movedTo, let state = probe.read(at: target) else { return false }
        return state.inode == record.state.inode && owner(of: target) != nil
    }

    /// Pairs a delete and a create of one file that inotify did not pair by cookie: a rename seen only by a
    /// scan (catch-up, after an overflow), or one whose `MOVED_TO` came before its folder was watched (a folder
    /// made a moment before), or one renamed on before the first rename was decided (`mv a b; mv b c`). The
    /// delete is in this batch, or is an instance found gone earlier and still waiting for its delete window.
    /// The same file: ``isSameFile(_:_:seenLive:)``.
    ///
    /// Afterwards a delete's `movedTo` is set exactly when it is a rename: each is verified once, here.
    mutating func pairRenamesByInode(_ decisions: inout [(path: RawPath, change: PendingChange, decision: Decision)]) {
        var deletedByInode: [UInt64: Int] = [:]
        for index in decisions.indices {
            guard case .deleted(let record) = decisions[index].decision else { continue }
            // A rename's old path whose new path no longer holds the file (renamed on at once: `mv a b; mv b c`,
            // the second rename's MOVED_FROM being of no known instance) is no rename, and open to pairing.
            if !isRename(decisions[index].change, of: record) {
                decisions[index].change.movedTo = nil
                deletedByInode[record.state.inode] = index
            }
        }
        guard !deletedByInode.isEmpty || !goneByInode.isEmpty else { return }
        for index in decisions.indices {
            guard case .created(let record) = decisions[index].decision, decisions[index].change.movedFrom == nil else { continue }
            let inode = record.state.inode, isLive = decisions[index].change.source == .live
            if let deletedIndex = deletedByInode[inode], case .deleted(let old) = decisions[deletedIndex].decision,
               Self.isSameFile(old, record, seenLive: isLive || decisions[deletedIndex].change.source == .live) {
                deletedByInode[inode] = nil
                decisions[deletedIndex].change.movedTo = decisions[index].path
                decisions[index].change.movedFrom = (decisions[deletedIndex].path, old)
            } else if let oldPath = goneByInode[inode], var oldChange = pending[oldPath], let old = table[oldPath],
                      old.state.inode == inode, Self.isSameFile(old, record, seenLive: true), probe.read(at: oldPath) == nil {
                goneByInode[inode] = nil
                pending[oldPath] = nil
                oldChange.movedTo = decisions[index].path
                decisions[index].change.movedFrom = (oldPath, old)
                decisions.append((oldPath, oldChange, .deleted(old)))
            }
        }
    }

    /// Whether `new` is the file `old` was: the same size, for a change seen live the same mtime (a new file may
    /// get a deleted one's inode at once; a rename keeps the mtime), and the same content when both digests are
    /// known (an mtime can be set by hand).
    static func isSameFile(_ old: InstanceRecord, _ new: InstanceRecord, seenLive: Bool) -> Bool {
        guard old.state.size == new.state.size else { return false }
        if seenLive && old.state.mtimeNanoseconds != new.state.mtimeNanoseconds { return false }
        if let before = old.sha256, let after = new.sha256, before != after { return false }
        return true
    }

    mutating func emit(_ decision: Decision, path: RawPath, change: PendingChange, into signals: inout [SignalPayload]) {
        let movedFrom = change.movedFrom.flatMap { source -> RawPath? in
            // Only a rename that really brought this file here: the same inode.
            guard let state = probe.read(at: path), state.inode == source.record.state.inode else { return nil }
            return source.record.instance
        }
        switch decision {
        case .nothing, .tryAgain:
            return
        case .created(let record):
            if !change.preSaveSent { signals.append(makeSignal(.preSave, path: path, change, state: record.state, sha256: record.sha256)) }
            var save = makeSignal(.postSave, path: path, change, state: record.state, sha256: record.sha256)
            save.created = true
            save.changes = .all
            save.movedFrom = movedFrom
            signals.append(save)
            setRecord(record, at: path)
        case .updated(let before, let after):
            if !change.preSaveSent {
                var preSave = makeSignal(.preSave, path: path, change, state: after.state, sha256: after.sha256)
                preSave.previous = before.state
                preSave.previousSHA256 = before.sha256
                signals.append(preSave)
            }
            var save = makeSignal(.postSave, path: path, change, state: after.state, sha256: after.sha256)
            save.created = false
            save.changes = after == before ? [] : after.changes(since: before)
            save.previous = before.state
            save.previousSHA256 = before.sha256
            save.movedFrom = movedFrom
            signals.append(save)
            setRecord(after, at: path)
        case .deleted(let record):
            let movedTo = change.movedTo.flatMap { owner(of: $0)?.1.instanceName }
            var change = change
            change.sender = record.sender
            change.instance = record.instance
            signals.append(makeSignal(.preDelete, path: path, change, state: record.state, sha256: record.sha256))
            var delete = makeSignal(.postDelete, path: path, change, state: record.state, sha256: record.sha256)
            delete.movedTo = movedTo
            signals.append(delete)
            table[path] = nil
            if keepsTableChanges { tableChanges.append(.remove(path)) }
        }
    }

    mutating func makeSignal(
        _ signal: ModelSignal, path: RawPath, _ change: PendingChange, state: InstanceState?, sha256: [UInt8]? = nil
    ) -> SignalPayload {
        defer { nextSeq += 1 }
        var payload = SignalPayload(
            seq: nextSeq, time: .now(), signal: signal.rawValue, sender: change.sender,
            instance: change.instance, path: path, source: change.source, state: state)
        payload.sha256 = sha256
        return payload
    }
}
