// SPDX-License-Identifier: GPL-2.0-or-later

/// Scan passes: the first walk (which fills an empty table, or is a catch-up against a saved one), a new
/// folder's listing, and the rescan after an overflow. A scan's end looks again at the instances it did not
/// find, except below folders it could not read.
extension Reconciler {
    /// - Parameter listed: the file's state as its folder's listing read it, if it did.
    mutating func found(_ path: RawPath, reason: WatcherEvent.ScanReason, listed: InstanceState?, now: Instant) {
        guard let (model, location) = owner(of: path) else { return }
        switch reason {
        case .newFolder:
            markPending(path, sender: model.name, instance: location.instanceName, source: .live, now: now)
        case .initialWalk, .rescan:
            guard let pass = scan else {
                // No saved state: the files that exist at start-up become the table silently.
                if !table.contains(path) { _ = learn(path, model: model, location: location, listed: listed) }
                return
            }
            let known = table.mark(path)
            if known == nil, pass.learnsNewFiles {
                // Not reached by the first walk that was cut short: learnt as that walk would have.
                if let record = learn(path, model: model, location: location, listed: listed) {
                    scan?.learntByInode[record.state.inode] = path
                    _ = table.mark(path)
                }
                return
            }
            if pass.source == .initial {
                markPending(path, sender: model.name, instance: location.instanceName, source: .initial, now: now)
                pending[path]!.reportsUnchanged = true
            } else if known?.state != (listed ?? probe.read(at: path)) || known?.sender != model.name {
                markPending(path, sender: model.name, instance: location.instanceName, source: pass.source, now: now)
            }
        }
    }

    /// Puts a file found by a first walk into the table, silently: its digest too, for the first
    /// ``hashesAtStart`` files (the rest are hashed in the background). Nil when it is gone.
    private mutating func learn(_ path: RawPath, model: Model, location: Model.Location, listed: InstanceState?) -> InstanceRecord? {
        guard let state = listed ?? probe.read(at: path) else { return nil }
        var record = InstanceRecord(sender: model.name, instance: location.instanceName, state: state)
        if hashesAtStart > 0, options.digests.covers(state) {
            hashesAtStart -= 1
            record.sha256 = digest(of: path, state)
        }
        setRecord(record, at: path)
        return record
    }

    mutating func startScan(source: SignalSource, learnsNewFiles: Bool = false) {
        table.clearMarks()
        scan = ScanPass(source: source, learnsNewFiles: learnsNewFiles)
    }

    /// Ends a scan: instances of the table the scan did not find are looked at again (they are gone, or
    /// were moved while nobody watched).
    mutating func finishScan(now: Instant) {
        guard let pass = scan else { return }
        scan = nil
        for path in waitingForScan {
            if let change = pending[path] { due.push(deadline(of: change), path) }
        }
        waitingForScan.removeAll()
        let unseen = table.unmarkedPaths()
        table.clearMarks()
        for path in unseen where pending[path] == nil {
            // Not seen because its folder could not be read: unknown, not gone.
            if pass.skipped.contains(where: { path.relative(to: $0) != nil }) { continue }
            guard let record = table[path] else { continue }
            markPending(path, sender: record.sender, instance: record.instance, source: pass.source == .initial ? .catchUp : pass.source, now: now)
            // Gone, or renamed while nobody watched: a file the scan found with its inode is paired with it,
            // whichever of the two is decided first (``pairRenamesByInode(_:)``; a catch-up of thousands of
            // files is decided over several wake-ups).
            goneByInode[record.state.inode] = path
            // A first walk cut short learnt the files it had not reached silently; one with this inode is this
            // instance renamed, which is news: it is decided as a new file, and so paired.
            if let learnt = pass.learntByInode[record.state.inode], let learntRecord = table[learnt],
               Self.isSameFile(record, learntRecord, seenLive: false) {
                table[learnt] = nil
                if keepsTableChanges { tableChanges.append(.remove(learnt)) }
                markPending(learnt, sender: learntRecord.sender, instance: learntRecord.instance, source: .catchUp, now: now)
            }
        }
    }
}
