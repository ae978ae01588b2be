// SPDX-License-Identifier: GPL-2.0-or-later

/// Folding the watcher's events on files and folders into pending changes; renames paired by inotify's cookie.
extension Reconciler {
    mutating func changed(_ path: RawPath, mask: InotifyMask, cookie: UInt32, now: Instant) -> [SignalPayload] {
        if mask.contains(.isDirectory) || mask.contains(.deleteSelf) || mask.contains(.moveSelf) {
            folderChanged(path, mask: mask, cookie: cookie, now: now)
            return []
        }
        if mask.contains(.movedFrom) {
            if table.contains(path) {
                moveSources[cookie] = MoveSource(path: path, isFolder: false)
            } else if let origin = pending[path]?.movedFrom?.path {
                // Renamed on before its first rename was decided (`mv a b; mv b c`): the rename is from `a`.
                moveSources[cookie] = MoveSource(path: origin, isFolder: false)
            }
        }
        // A path already pending keeps its owner: the patterns are matched once per change, not per event.
        if !restartSettling(path, now: now) {
            guard let (model, location) = owner(of: path) else {
                if mask.contains(.movedTo) { moveSources[cookie] = nil }
                return []
            }
            startPending(path, sender: model.name, instance: location.instanceName, source: .live, now: now)
        }
        if mask.contains(.movedTo), let source = moveSources.removeValue(forKey: cookie), !source.isFolder {
            link(from: source.path, to: path, now: now)
        }
        // One access to the pending change for the flags below: each `pending[path]!` is a hash lookup.
        let (nowQuiet, preSaveSent) = Self.noteWriting(mask, of: &pending[path]!)
        if let change = nowQuiet { due.push(deadline(of: change), path) }
        let isWrite = !mask.isDisjoint(with: [.create, .modify, .attrib])
        guard isWrite, !preSaveSent, let known = table.state(at: path) else { return [] }
        // An event read late (the reader was busy) about a change already decided changes nothing.
        // Nothing there (an event from a folder that moved away, read before its watch went): no save.
        guard let state = probe.read(at: path), state != known, let previous = table[path] else { return [] }
        // The earliest moment a save of an existing instance can be seen: tell pre_save receivers now.
        pending[path]!.preSaveSent = true
        var signal = makeSignal(.preSave, path: path, pending[path]!, state: state)
        signal.previous = previous.state
        signal.previousSHA256 = previous.sha256
        return [signal]
    }

    /// Notes whether the file is being written after an event with `mask`, and whether its save ended cleanly.
    /// Returns the change when it has just been closed or ended cleanly (its deadline is nearer now), and
    /// whether its `pre_save` was sent.
    static func noteWriting(_ mask: InotifyMask, of change: inout PendingChange) -> (closed: PendingChange?, preSaveSent: Bool) {
        let wasBeingWritten = change.isBeingWritten
        if mask.contains(.create) || mask.contains(.modify) { change.isBeingWritten = true }
        if mask.contains(.closeWrite) || mask.contains(.delete) || mask.contains(.movedFrom) || mask.contains(.movedTo) {
            change.isBeingWritten = false
        }
        // A write closed: what a save ends with. Not a file renamed onto the path: a rename whose two halves
        // inotify reported apart (`mv a b; mv b c`, a pass through an ignored name) is paired by inode only when
        // both are decided in one window.
        change.endedCleanly = !change.isBeingWritten && mask.contains(.closeWrite)
        return (wasBeingWritten && !change.isBeingWritten || change.endedCleanly ? change : nil, change.preSaveSent)
    }

    /// A folder was created, removed or renamed. Its instances are looked at again; a rename within the
    /// tree carries each instance to its new path.
    mutating func folderChanged(_ path: RawPath, mask: InotifyMask, cookie: UInt32, now: Instant) {
        if mask.contains(.movedFrom) {
            moveSources[cookie] = MoveSource(path: path, isFolder: true)
        }
        if mask.contains(.movedTo), let source = moveSources.removeValue(forKey: cookie), source.isFolder {
            for old in table.paths(under: source.path) {
                guard let rest = old.relative(to: source.path) else { continue }
                let new = path.appending(rest)
                if let (model, location) = owner(of: new) {
                    markPending(new, sender: model.name, instance: location.instanceName, source: .live, now: now)
                    link(from: old, to: new, now: now)
                } else {
                    markInstancePending(old, now: now)
                }
            }
        }
        if !mask.isDisjoint(with: [.delete, .movedFrom, .deleteSelf, .moveSelf]) {
            for instance in table.paths(under: path) { markInstancePending(instance, now: now) }
            if mask.contains(.deleteSelf) || mask.contains(.moveSelf), table.contains(path) { markInstancePending(path, now: now) }
        }
    }

    /// Records that the instance at `old` was renamed to `new` (both pending).
    mutating func link(from old: RawPath, to new: RawPath, now: Instant) {
        guard let record = table[old] else { return }
        markInstancePending(old, now: now)
        pending[old]?.movedTo = new
        pending[new]?.movedFrom = (old, record)
    }
}
