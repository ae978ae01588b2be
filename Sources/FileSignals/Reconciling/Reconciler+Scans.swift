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
                if !table.contains(path) { learn(path, model: model, location: location, listed: listed) }
                return
            }
            let known = table.mark(path)
            if known == nil, pass.learnsNewFiles {
                // Not reached by the first walk that was cut short: learnt as that walk would have.
                learn(path, model: model, location: location, listed: listed)
                _ = table.mark(path)
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
    /// ``hashesAtStart`` files (the rest are hashed in the background).
    private mutating func learn(_ path: RawPath, model: Model, location: Model.Location, listed: InstanceState?) {
        guard let state = listed ?? probe.read(at: path) else { return }
        var record = InstanceRecord(sender: model.name, instance: location.instanceName, state: state)
        if hashesAtStart > 0, options.digests.covers(state) {
            hashesAtStart -= 1
            record.sha256 = digest(of: path, state)
        }
        setRecord(record, at: path)
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
        // What the scan found is decided together with the instances it did not find (made pending below, as
        // of `now`): a file found early in a long walk may be one of them, renamed while nobody watched, and
        // the two ends of a rename are paired only when they are decided in one go (``pairRenamesByInode(_:)``).
        // Walking the dictionary by index, not by `indices`, which would hold its storage and make it copy.
        var index = pending.startIndex
        while index != pending.endIndex {
            if pending.values[index].source == pass.source, pending.values[index].lastEvent < now {
                pending.values[index].lastEvent = now
            }
            pending.formIndex(after: &index)
        }
        for path in waitingForScan {
            if let change = pending[path] { due.push(deadline(of: change), path) }
        }
        waitingForScan.removeAll()
        let unseen = table.unmarkedPaths()
        table.clearMarks()
        for path in unseen where pending[path] == nil {
            // Not seen because its folder could not be read: unknown, not gone.
            if pass.skipped.contains(where: { path.relative(to: $0) != nil }) { continue }
            markInstancePending(path, now: now, source: pass.source == .initial ? .catchUp : pass.source)
        }
    }
}
