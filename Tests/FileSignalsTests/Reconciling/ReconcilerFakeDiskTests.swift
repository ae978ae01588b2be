// SPDX-License-Identifier: GPL-2.0-or-later
@testable import FileSignals
import Testing
import TestSupport

/// The reconciler as a plain step: raw events, a clock and a ``FakeDisk``. Each save style is written as the
/// operations the tool makes and the events inotify reports for them; renames, catch-up, an overflow rescan
/// and a folder that could not be read are checked the same way, with no real disk and no waiting.
@Suite("Reconciler on a fake disk", .ownThreads())
struct ReconcilerFakeDiskTests {
    let disk = FakeDisk()
    let model: Model

    init() throws {
        model = Model(name: "Note", folders: [Model.Folder(path: RawPath("/w"))], match: [try GlobPattern("*.md")], exclusions: .defaultIgnores)
    }

    /// A reconciler fed by hand, with its own clock.
    struct Run {
        var reconciler: Reconciler
        var now = ContinuousClock.now
        var signals: [SignalPayload] = []

        /// Feeds `events` one millisecond apart, keeping what they send at once (pre_save).
        mutating func apply(_ events: [WatcherEvent]) {
            for event in events {
                now += .milliseconds(1)
                signals += reconciler.handle(event, now: now)
            }
        }

        /// Feeds `events` `gap` apart, deciding what came due before each, as the bridge does while a writer
        /// is held up between its steps on a busy machine.
        mutating func applySlowly(_ events: [WatcherEvent], gap: Duration) {
            for event in events {
                now += gap
                signals += reconciler.flushDue(now: now)
                signals += reconciler.handle(event, now: now)
            }
        }

        /// Lets every window pass, and keeps what is decided.
        mutating func settle() {
            now += .seconds(5)
            signals += reconciler.flushDue(now: now)
        }

        /// What was sent since the last call: `post_save a.md created:false`, with `moved_from`/`moved_to`.
        mutating func take() -> [String] {
            defer { signals.removeAll() }
            return signals.map { signal in
                var text = "\(signal.signal) \(signal.instance)"
                if let created = signal.created { text += " created:\(created)" }
                if let from = signal.movedFrom { text += " moved_from:\(from)" }
                if let to = signal.movedTo { text += " moved_to:\(to)" }
                return text
            }
        }
    }

    private func path(_ name: String) -> RawPath { RawPath("/w/" + name) }

    /// A run whose table holds what is on the fake disk now (a first walk without state).
    private func started(hasState table: InstanceTable? = nil, walk: [WatcherEvent]? = nil) -> Run {
        var run = Run(reconciler: Reconciler(models: [model], table: table ?? InstanceTable(), hasState: table != nil, probe: disk, pressure: nil))
        run.apply((walk ?? disk.walk(.initialWalk)) + [.ready(folders: 1, files: 0)])
        run.settle()
        return run
    }

    static let styles: [(name: String, save: @Sendable (FakeDisk, RawPath) -> [WatcherEvent])] = [
        ("echo > (truncate and write in place)", { disk, file in disk.write(file, "new text") }),
        ("vim (rename to a backup, write anew, remove the backup; 4913 probe)", { disk, file in
            let backup = RawPath(file.description + "~"), probe = RawPath("/w/4913")
            return disk.write(probe, "") + disk.remove(probe) + disk.rename(file, to: backup) + disk.write(file, "new text") + disk.remove(backup)
        }),
        ("emacs (rename to a backup, write anew)", { disk, file in
            disk.rename(file, to: RawPath(file.description + "~")) + disk.write(file, "new text")
        }),
        ("sed -i (a temp file renamed over)", { disk, file in
            disk.write(RawPath("/w/sedX1b2c3"), "new text") + disk.rename(RawPath("/w/sedX1b2c3"), to: file)
        }),
        ("rsync (a hidden temp file renamed over)", { disk, file in
            disk.write(RawPath("/w/.f.md.Ab12Cd"), "new text") + disk.rename(RawPath("/w/.f.md.Ab12Cd"), to: file)
        }),
        ("git checkout (unlink, then create)", { disk, file in disk.remove(file) + disk.write(file, "new text") }),
        ("JetBrains safe write (temp, old aside, temp in place, old removed)", { disk, file in
            let temp = RawPath(file.description + "___jb_tmp___"), old = RawPath(file.description + "___jb_old___")
            return disk.write(temp, "new text") + disk.rename(file, to: old) + disk.rename(temp, to: file) + disk.remove(old)
        }),
    ]

    @Test("every save style is one save of an existing instance: pre_save, then post_save created:false with its content changed", arguments: 0..<Self.styles.count)
    func saveStyle(_ index: Int) {
        let file = path("f.md")
        disk.write(file, "old")
        var run = started()
        run.apply(Self.styles[index].save(disk, file))
        run.settle()
        let last = run.signals.last
        #expect(run.take() == ["pre_save f.md", "post_save f.md created:false"], "\(Self.styles[index].name)")
        #expect(last?.changes?.contains(.content) == true, "\(Self.styles[index].name)")
        #expect(last?.previous?.size == 3)
    }

    @Test("every save style stays one save when the writer is held up between its steps for less than the delete window",
          arguments: 0..<Self.styles.count)
    func saveStyleOnBusyMachine(_ index: Int) {
        let file = path("f.md")
        disk.write(file, "old")
        var run = started()
        // 900 ms between steps: far beyond the save window (20 ms), within the delete window (1 s).
        run.applySlowly(Self.styles[index].save(disk, file), gap: .milliseconds(900))
        run.settle()
        #expect(run.take() == ["pre_save f.md", "post_save f.md created:false"], "\(Self.styles[index].name)")
    }

    @Test("a limit on the paths decided at once leaves the rest for the next call, never splitting what came due together")
    func decisionLimit() {
        disk.write(path("old.md"), "z")
        var run = started()
        // Ten files saved in one batch of events (one moment), then thirty, each at a moment of its own.
        let together = run.now + .milliseconds(1)
        for index in 0..<10 {
            for event in disk.write(path("together\(index).md"), "x") { run.signals += run.reconciler.handle(event, now: together) }
        }
        run.now = together
        run.apply((0..<30).flatMap { disk.write(path("alone\($0).md"), "y") })
        run.now += .seconds(5)
        var saves: [Int] = []
        while case let decided = run.reconciler.flushDue(now: run.now, limit: 4), !decided.isEmpty {
            saves.append(decided.filter { $0.signal == "post_save" }.count)
        }
        #expect(saves == [10, 4, 4, 4, 4, 4, 4, 4, 2], "\(saves)")

        // A rename: its two ends come due at the same moment and are decided in one call, however small the limit.
        let renamedAt = run.now + .milliseconds(1)
        for event in disk.rename(path("old.md"), to: path("new.md")) { _ = run.reconciler.handle(event, now: renamedAt) }
        run.now = renamedAt + .seconds(5)
        let decided = run.reconciler.flushDue(now: run.now, limit: 1).map { "\($0.signal) \($0.instance)" }
        #expect(decided.contains("post_delete old.md") && decided.contains("post_save new.md"), "\(decided)")
        #expect(run.reconciler.flushDue(now: run.now, limit: 1).isEmpty)
    }

    @Test("an instance gone is deleted only once it has stayed gone for the delete window; back before, it was saved")
    func deleteWindow() {
        disk.write(path("a.md"), "a")
        disk.write(path("b.md"), "b")
        var run = started()
        let removedAt = run.now
        run.apply(disk.remove(path("a.md")) + disk.remove(path("b.md")))
        run.now = removedAt + .milliseconds(500)
        run.signals += run.reconciler.flushDue(now: run.now)
        #expect(run.take().isEmpty, "gone for 500 ms: not yet a delete")
        run.apply(disk.write(path("b.md"), "b again"))
        run.now = removedAt + .milliseconds(1002)
        run.signals += run.reconciler.flushDue(now: run.now)
        #expect(run.take() == ["pre_save b.md", "pre_delete a.md", "post_delete a.md", "post_save b.md created:false"])
    }

    @Test("a stop decides pending saves at once; a deletion not yet sure is left to the next start's catch-up when there is state",
          arguments: [true, false])
    func stopWithAPendingDeletion(hasState: Bool) {
        disk.write(path("a.md"), "a")
        disk.write(path("b.md"), "b")
        var run = started()
        run.apply(disk.remove(path("a.md")) + disk.write(path("b.md"), "b again"))
        run.signals += run.reconciler.flushAtStop(now: run.now, leavesRecentDeletions: hasState)
        if hasState {
            #expect(run.take() == ["pre_save b.md", "post_save b.md created:false"])
            #expect(run.reconciler.table[path("a.md")] != nil, "still known: the next start looks at it again")
        } else {
            #expect(run.take() == ["pre_save b.md", "pre_delete a.md", "post_delete a.md", "post_save b.md created:false"])
        }
    }

    @Test("a folder renamed into a folder made a moment before, its MOVED_TO missed: each file is paired with the instance gone by inode, size and mtime",
          arguments: [0, 900])
    func renameIntoANewFolder(listedAfterMilliseconds: Int) {
        disk.write(path("d/x.md"), "x")
        var run = started()
        // inotify reports the MOVED_FROM; the MOVED_TO fell before the new folder was watched, whose listing
        // finds the file instead (at once, or once the old path was found gone).
        let events = disk.renameFolder(path("d"), to: path("sub/d2"))
        run.apply(events.filter { if case .changed(_, let mask, _) = $0 { !mask.contains(.movedTo) } else { true } })
        run.now += .milliseconds(listedAfterMilliseconds)
        run.signals += run.reconciler.flushDue(now: run.now)
        run.apply(disk.walk(.newFolder).filter { if case .found(let found, _, _) = $0 { found == path("sub/d2/x.md") } else { false } })
        run.now += .milliseconds(21)
        run.signals += run.reconciler.flushDue(now: run.now)
        #expect(run.take() == ["pre_delete d/x.md", "post_delete d/x.md moved_to:sub/d2/x.md", "pre_save sub/d2/x.md", "post_save sub/d2/x.md created:true moved_from:d/x.md"])
    }

    @Test("renamed on before the first rename was decided (mv a b; mv b c, or through an ignored name): one rename, a to c, within the save window",
          arguments: ["b.md", "a.md~"])
    func renameChain(through middle: String) {
        disk.write(path("a.md"), "a")
        var run = started()
        run.apply(disk.rename(path("a.md"), to: path(middle)) + disk.rename(path(middle), to: path("c.md")))
        run.now += .milliseconds(25)
        run.signals += run.reconciler.flushDue(now: run.now)
        run.now += .milliseconds(25)
        run.signals += run.reconciler.flushDue(now: run.now)
        #expect(run.take() == ["pre_delete a.md", "post_delete a.md moved_to:c.md", "pre_save c.md", "post_save c.md created:true moved_from:a.md"])
    }

    @Test("a file is taken for a renamed one only with its size, its mtime when seen live, and its content when both digests are known")
    func sameFile() {
        let state = InstanceState(inode: 7, size: 3, mode: 0o100644, owner: 0, mtimeNanoseconds: 100)
        let old = InstanceRecord(sender: "Note", instance: RawPath("a.md"), state: state, sha256: [1])
        var new = old
        #expect(Reconciler.isSameFile(old, new, seenLive: true))
        new.sha256 = [2]
        #expect(!Reconciler.isSameFile(old, new, seenLive: true), "an mtime set by hand on other content")
        #expect(!Reconciler.isSameFile(old, new, seenLive: false), "an inode reused while nobody watched")
        new.sha256 = nil
        #expect(Reconciler.isSameFile(old, new, seenLive: false))
        new.state.mtimeNanoseconds = 101
        #expect(!Reconciler.isSameFile(old, new, seenLive: true))
        #expect(Reconciler.isSameFile(old, new, seenLive: false), "catch-up pairs by inode and size")
        new.state.size = 4
        #expect(!Reconciler.isSameFile(old, new, seenLive: false))
    }

    @Test("a rename within the models is reported after the save window, not the delete window")
    func renameIsNotADisappearance() {
        disk.write(path("a.md"), "a")
        var run = started()
        run.apply(disk.rename(path("a.md"), to: path("b.md")))
        run.now += .milliseconds(21)
        run.signals += run.reconciler.flushDue(now: run.now)
        #expect(run.take() == ["pre_delete a.md", "post_delete a.md moved_to:b.md", "pre_save b.md", "post_save b.md created:true moved_from:a.md"])
    }

    @Test("a new file is created; its removal is a delete")
    func createAndDelete() {
        var run = started()
        run.apply(disk.write(path("a.md"), "hello"))
        run.settle()
        #expect(run.take() == ["pre_save a.md", "post_save a.md created:true"])
        run.apply(disk.remove(path("a.md")))
        run.settle()
        #expect(run.take() == ["pre_delete a.md", "post_delete a.md"])
        #expect(run.reconciler.table.isEmpty)
    }

    @Test("a file renamed is the old instance deleted with moved_to and the new one created with moved_from")
    func renameFile() {
        disk.write(path("a.md"), "hello")
        var run = started()
        run.apply(disk.rename(path("a.md"), to: path("b.md")))
        run.settle()
        #expect(run.take() == [
            "pre_delete a.md", "post_delete a.md moved_to:b.md", "pre_save b.md", "post_save b.md created:true moved_from:a.md",
        ])
    }

    @Test("a folder renamed carries each instance to its new path")
    func renameFolder() {
        disk.write(path("sub/a.md"), "a")
        disk.write(path("sub/b.md"), "b")
        var run = started()
        run.apply(disk.renameFolder(path("sub"), to: path("moved")))
        run.settle()
        let summary = run.take()
        #expect(summary.filter { $0.hasPrefix("post_delete") }.sorted() == ["post_delete sub/a.md moved_to:moved/a.md", "post_delete sub/b.md moved_to:moved/b.md"])
        #expect(summary.filter { $0.hasPrefix("post_save") }.sorted() == ["post_save moved/a.md created:true moved_from:sub/a.md", "post_save moved/b.md created:true moved_from:sub/b.md"])
        #expect(Set(run.reconciler.table.paths(under: path("moved"))) == [path("moved/a.md"), path("moved/b.md")])
    }

    @Test("catch-up: what changed while nobody watched, against the saved table, renames paired by inode")
    func catchUp() {
        for name in ["a.md", "b.md", "d.md"] { disk.write(path(name), name) }
        let saved = started().reconciler.table
        // Stopped: these changes make events nobody reads.
        disk.write(path("a.md"), "changed")
        disk.remove(path("b.md"))
        disk.write(path("c.md"), "new")
        disk.rename(path("d.md"), to: path("e.md"))
        var run = started(hasState: saved)
        let sources = Set(run.signals.map(\.source))
        let summary = run.take()
        #expect(summary.filter { $0.hasPrefix("post_") }.sorted() == [
            "post_delete b.md", "post_delete d.md moved_to:e.md", "post_save a.md created:false",
            "post_save c.md created:true", "post_save e.md created:true moved_from:d.md",
        ])
        #expect(sources == [.catchUp])
    }

    @Test("a first walk cut short: what its table holds is caught up with, and the files it lacks are learnt silently")
    func partialFirstWalk() {
        for name in ["a.md", "b.md", "c.md", "d.md", "e.md"] { disk.write(path(name), name) }
        let whole = started().reconciler.table
        // What a first run killed in the middle of its walk had recorded: three of the five files.
        var partial = InstanceTable()
        for name in ["a.md", "b.md", "c.md"] { partial[path(name)] = whole[path(name)] }
        // Stopped: a known file changed, one removed; of the two never reached, one removed, one changed.
        disk.write(path("a.md"), "changed")
        disk.remove(path("b.md"))
        disk.remove(path("d.md"))
        disk.write(path("e.md"), "changed too")
        var run = Run(reconciler: Reconciler(models: [model], table: partial, hasState: false, probe: disk, pressure: nil))
        run.apply(disk.walk(.initialWalk) + [.ready(folders: 1, files: 0)])
        run.settle()
        let sources = Set(run.signals.map(\.source))
        #expect(run.take().filter { $0.hasPrefix("post_") }.sorted() == ["post_delete b.md", "post_save a.md created:false"])
        #expect(sources == [.catchUp])
        #expect(Set(run.reconciler.table.paths(under: RawPath("/w"))) == [path("a.md"), path("c.md"), path("e.md")])
    }

    @Test("a large catch-up is decided a part at a time, and its renames are paired whichever end comes first")
    func catchUpInParts() {
        let names = (0..<300).map { "f\($0).md" }
        for name in names { disk.write(path(name), name) }
        let saved = started().reconciler.table
        // Stopped: every other file changed, and two unchanged ones renamed (one to a name the walk finds
        // before the others, one after).
        for name in names where name != "f5.md" && name != "f7.md" { disk.write(path(name), name + " changed") }
        _ = disk.rename(path("f5.md"), to: path("a5.md"))
        _ = disk.rename(path("f7.md"), to: path("z7.md"))
        var run = Run(reconciler: Reconciler(models: [model], table: saved, hasState: true, probe: disk, pressure: nil))
        run.apply(disk.walk(.initialWalk) + [.ready(folders: 1, files: 0)])
        run.now += .seconds(5)
        var parts = 0
        while run.reconciler.nextDeadline.map({ $0 <= run.now }) ?? false {
            let decided = run.reconciler.flushDue(now: run.now, limit: 50)
            #expect(decided.count <= 2 * 50 + 4, "a part is about the limit's size (a rename's other end may join it)")
            run.signals += decided
            parts += 1
        }
        #expect(parts >= 6)
        let summary = run.take().filter { $0.hasPrefix("post_") }
        #expect(summary.filter { $0.contains("moved") }.sorted() == [
            "post_delete f5.md moved_to:a5.md", "post_delete f7.md moved_to:z7.md",
            "post_save a5.md created:true moved_from:f5.md", "post_save z7.md created:true moved_from:f7.md",
        ], "\(summary.filter { !$0.contains("created:false") })")
        #expect(summary.count == 298 + 4)
    }

    @Test("a first walk cut short, then a file it had recorded renamed: the rename is reported, not a delete alone")
    func partialFirstWalkRename() {
        for name in ["a.md", "b.md", "c.md"] { disk.write(path(name), name) }
        let whole = started().reconciler.table
        var partial = InstanceTable()
        for name in ["a.md", "b.md"] { partial[path(name)] = whole[path(name)] }
        _ = disk.rename(path("a.md"), to: path("moved.md"))
        var run = Run(reconciler: Reconciler(models: [model], table: partial, hasState: false, probe: disk, pressure: nil))
        run.apply(disk.walk(.initialWalk) + [.ready(folders: 1, files: 0)])
        run.settle()
        #expect(run.take().filter { $0.hasPrefix("post_") }.sorted() == ["post_delete a.md moved_to:moved.md", "post_save moved.md created:true moved_from:a.md"])
        #expect(Set(run.reconciler.table.paths(under: RawPath("/w"))) == [path("b.md"), path("c.md"), path("moved.md")])
    }

    @Test("catch-up on a tree whose walk outlasts the settle window: a rename is still paired")
    func catchUpLongWalk() {
        for name in ["a.md", "b.md", "c.md", "d.md"] { disk.write(path(name), name) }
        let saved = started().reconciler.table
        _ = disk.rename(path("a.md"), to: path("z.md"))
        var run = Run(reconciler: Reconciler(models: [model], table: saved, hasState: true, probe: disk, pressure: nil))
        // Each event of the walk 30 ms after the last, what came due decided in between, as the bridge does
        // between the batches of a walk of thousands of files; and once more at `ready`, as it does too.
        run.applySlowly(disk.walk(.initialWalk) + [.ready(folders: 1, files: 0)], gap: .milliseconds(30))
        run.signals += run.reconciler.flushDue(now: run.now)
        run.settle()
        #expect(run.take().filter { $0.hasPrefix("post_") }.sorted() == ["post_delete a.md moved_to:z.md", "post_save z.md created:true moved_from:a.md"])
    }

    @Test("an overflow rescan finds what the lost events were about, and nothing else")
    func overflowRescan() {
        for name in ["a.md", "b.md", "c.md"] { disk.write(path(name), name) }
        var run = started()
        disk.write(path("a.md"), "changed")
        disk.remove(path("b.md"))
        run.apply([.overflow] + disk.walk(.rescan) + [.rescanFinished])
        run.settle()
        let sources = Set(run.signals.map(\.source))
        #expect(run.take().filter { $0.hasPrefix("post_") } == ["post_save a.md created:false", "post_delete b.md"])
        #expect(sources == [.rescan])
    }

    @Test("a folder the walk could not read: its instances are not taken for deleted")
    func skippedFolder() {
        disk.write(path("open/a.md"), "a")
        disk.write(path("locked/x.md"), "x")
        let saved = started().reconciler.table
        let walk = disk.walk(.initialWalk).filter { if case .found(let found, _, _) = $0 { found.relative(to: path("locked")) == nil } else { true } }
        var run = started(hasState: saved, walk: walk + [.skipped(folder: path("locked"))])
        #expect(run.take().isEmpty)
        #expect(run.reconciler.table[path("locked/x.md")] != nil)
    }

    @Test("a file that cannot be looked at for now (out of descriptors) is decided later, never taken for deleted")
    func unreadableForNow() {
        disk.write(path("a.md"), "a")
        var run = started()
        run.apply(disk.write(path("a.md"), "b"))
        #expect(run.take() == ["pre_save a.md"])
        disk.setUnreadable(path("a.md"), true)
        run.settle()
        #expect(run.take().isEmpty)
        disk.setUnreadable(path("a.md"), false)
        run.settle()
        #expect(run.take() == ["post_save a.md created:false"])
    }

    @Test("a top folder that comes back (a file system unmounted from it, say) is looked at again: what is gone is deleted, what is there compared")
    func topFolderBack() {
        for name in ["a.md", "b.md"] { disk.write(path(name), name) }
        var run = started()
        // What the unmount leaves: other files at the same place, events for none of them.
        disk.remove(path("b.md"))
        disk.write(path("a.md"), "another file")
        run.apply([.warning(.topFolderGone(RawPath("/w"))), .warning(.topFolderBack(RawPath("/w")))] + disk.walk(.newFolder))
        run.settle()
        #expect(run.take().filter { $0.hasPrefix("post_") }.sorted() == ["post_delete b.md", "post_save a.md created:false"])
    }
}
