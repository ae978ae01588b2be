// SPDX-License-Identifier: GPL-2.0-or-later

/// Settling and deciding: once a path has been quiet for the settle window, the disk is compared with the
/// table and the signals are made; renames a scan saw are paired by inode.
extension Reconciler {
    /// Decides every pending path whose settle window has passed.
    ///
    /// - Returns: the signals, in the order the paths became quiet; for a rename, the old instance's delete
    ///   before the new one's save.
    public mutating func flushDue(now: Instant) -> [SignalPayload] {
        var ready: [(path: RawPath, change: PendingChange)] = []
        while let path = due.popDue(at: now) {
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
        }
        guard !ready.isEmpty else {
            if pending.isEmpty { moveSources.removeAll() }
            return []
        }
        // In the order the paths became quiet; paths quiet since the same moment, by name. Indices are
        // sorted, not the changes themselves, which are large to move.
        let quietSince = ready.map(\.change.lastEvent), paths = ready.map(\.path)
        let order = ready.indices.sorted { a, b in
            quietSince[a] != quietSince[b] ? quietSince[a] < quietSince[b] : paths[a] < paths[b]
        }
        // A MOVED_FROM whose MOVED_TO never came (moved out of the tree) is forgotten once all is settled.
        defer { if pending.isEmpty { moveSources.removeAll() } }
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
        // A rename's delete goes out before its save, wherever the two paths fell in the order.
        let deletesFirst = decisions.filter { if case .deleted = $0.decision { $0.change.movedTo != nil } else { false } }
        let others = decisions.filter { if case .deleted = $0.decision { $0.change.movedTo == nil } else { true } }
        var signals: [SignalPayload] = []
        for (path, change, decision) in deletesFirst + others {
            emit(decision, path: path, change: change, into: &signals)
        }
        return signals
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
            after.sha256 = probe.sha256(of: path, expectedSize: state.size)
            return .created(after)
        }
        // Same lstat: the content is taken to be the same, and the known hash is kept.
        if state == before.state && before.sender == change.sender {
            return change.preSaveSent || change.movedFrom != nil || change.reportsUnchanged ? .updated(before: before, after: before) : .nothing
        }
        after.sha256 = probe.sha256(of: path, expectedSize: state.size)
        return .updated(before: before, after: after)
    }

    /// Pairs a delete and a create of the same inode in one batch that inotify did not pair (a rename seen
    /// only by a scan, at catch-up or after an overflow).
    func pairRenamesByInode(_ decisions: inout [(path: RawPath, change: PendingChange, decision: Decision)]) {
        var deletedByInode: [UInt64: Int] = [:]
        for (index, item) in decisions.enumerated() {
            if case .deleted(let record) = item.decision, item.change.movedTo == nil, item.change.source != .live {
                deletedByInode[record.state.inode] = index
            }
        }
        guard !deletedByInode.isEmpty else { return }
        for index in decisions.indices {
            guard case .created(let record) = decisions[index].decision, decisions[index].change.movedFrom == nil,
                  decisions[index].change.source != .live,
                  let deletedIndex = deletedByInode.removeValue(forKey: record.state.inode),
                  case .deleted(let old) = decisions[deletedIndex].decision,
                  old.state.size == record.state.size else { continue }
            decisions[deletedIndex].change.movedTo = decisions[index].path
            decisions[index].change.movedFrom = (decisions[deletedIndex].path, old)
        }
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
            let movedTo = change.movedTo.flatMap { target -> RawPath? in
                guard let state = probe.read(at: target), state.inode == record.state.inode else { return nil }
                return owner(of: target)?.1.instanceName
            }
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
