// SPDX-License-Identifier: GPL-2.0-or-later
@testable import FileSignals
import Foundation
import Testing
import TestSupport

/// The reconciler alone: real files in a temporary folder, the watcher's events written by hand, and the
/// clock passed in, so that the settle rules can be checked instant by instant.
@Suite("Reconciler", .ownThreads())
struct ReconcilerTests {
    let folder: TemporaryFolder
    let model: Model
    let start = ContinuousClock.now
    /// The windows these tests count in: 50 ms for a save (25 ms when it ended cleanly), 1 s for a delete.
    let settle = Duration.milliseconds(50)

    init() throws {
        folder = try TemporaryFolder()
        model = Model(
            name: "Note", folders: [Model.Folder(path: RawPath(folder.path))],
            match: [try GlobPattern("*.md")], exclusions: .defaultIgnores)
    }

    private func path(_ name: String) -> RawPath { RawPath(folder.path + "/" + name) }
    private func at(_ milliseconds: Int) -> ContinuousClock.Instant { start + .milliseconds(milliseconds) }
    private func changed(_ name: String, _ mask: InotifyMask) -> WatcherEvent { .changed(path: path(name), mask: mask, cookie: 0) }
    private func names(_ signals: [SignalPayload]) -> [String] {
        signals.map { "\($0.signal) \($0.instance)" + ($0.created.map { " created:\($0)" } ?? "") }
    }
    /// A reconciler with these tests' windows, blind to the machine's load (no pressure source).
    private func reconciler(reportInitialFiles: Bool = false) -> Reconciler {
        Reconciler(models: [model], options: .init(settle: settle, deleteSettle: .seconds(1), reportInitialFiles: reportInitialFiles), pressure: nil)
    }

    @Test("a new file gives pre_save and post_save created:true once half the settle window has passed after its close")
    func newFile() throws {
        var reconciler = reconciler()
        try folder.shell("echo hi > a.md")
        #expect(reconciler.handle(changed("a.md", .create), now: at(0)).isEmpty)
        #expect(reconciler.handle(changed("a.md", .modify), now: at(1)).isEmpty)
        #expect(reconciler.handle(changed("a.md", .closeWrite), now: at(2)).isEmpty)
        #expect(reconciler.flushDue(now: at(26)).isEmpty, "still inside the window of a save that ended cleanly")
        #expect(reconciler.nextDeadline == at(27))
        let signals = reconciler.flushDue(now: at(27))
        #expect(names(signals) == ["pre_save a.md", "post_save a.md created:true"])
        #expect(signals.map(\.seq) == [1, 2])
        #expect(signals.last?.state?.size == 3)
        #expect(signals.last?.previous == nil)
        #expect(reconciler.isSettled)
    }

    @Test("a write to a known file sends pre_save at once with the previous state, then one post_save created:false")
    func existingFile() throws {
        try folder.shell("echo hi > a.md")
        var reconciler = reconciler()
        _ = reconciler.handle(.found(path: path("a.md"), reason: .initialWalk), now: at(0))
        #expect(reconciler.flushDue(now: at(1000)).isEmpty, "existing files become the table silently")

        try folder.shell("echo more >> a.md")
        let early = reconciler.handle(changed("a.md", .modify), now: at(1000))
        #expect(names(early) == ["pre_save a.md"])
        #expect(early.first?.previous?.size == 3)
        #expect(reconciler.handle(changed("a.md", .modify), now: at(1001)).isEmpty, "one pre_save per save")
        _ = reconciler.handle(changed("a.md", .closeWrite), now: at(1002))
        let late = reconciler.flushDue(now: at(1052))
        #expect(names(late) == ["post_save a.md created:false"])
        #expect(late.first?.previous?.size == 3)
        #expect(late.first?.state?.size == 8)
    }

    @Test("a file written but not closed is decided after the unclosed-write timeout, not after settle")
    func unclosedWrite() throws {
        var reconciler = reconciler()
        try folder.shell("echo hi > a.md")
        _ = reconciler.handle(changed("a.md", .create), now: at(0))
        _ = reconciler.handle(changed("a.md", .modify), now: at(1))
        #expect(reconciler.flushDue(now: at(500)).isEmpty)
        #expect(names(reconciler.flushDue(now: at(1001))) == ["pre_save a.md", "post_save a.md created:true"])
    }

    @Test("a file created and removed inside one settle window sends nothing")
    func createdAndRemoved() throws {
        var reconciler = reconciler()
        _ = reconciler.handle(changed("a.md", .create), now: at(0))
        _ = reconciler.handle(changed("a.md", .closeWrite), now: at(1))
        _ = reconciler.handle(changed("a.md", .delete), now: at(2))
        #expect(reconciler.flushDue(now: at(100)).isEmpty)
        #expect(reconciler.isSettled)
    }

    @Test("removing a known file gives pre_delete then post_delete with the last known state")
    func removal() throws {
        try folder.shell("echo hi > a.md")
        var reconciler = reconciler()
        _ = reconciler.handle(.found(path: path("a.md"), reason: .initialWalk), now: at(0))
        try folder.shell("rm a.md")
        _ = reconciler.handle(changed("a.md", .delete), now: at(10))
        #expect(reconciler.flushDue(now: at(60)).isEmpty, "gone, but not for the delete window yet")
        #expect(reconciler.nextDeadline == at(1010))
        #expect(reconciler.flushDue(now: at(1009)).isEmpty)
        let signals = reconciler.flushDue(now: at(1010))
        #expect(names(signals) == ["pre_delete a.md", "post_delete a.md"])
        #expect(signals.allSatisfy { $0.state?.size == 3 })
    }

    @Test("a removed folder deletes every instance known under it")
    func removedFolder() throws {
        try folder.shell("mkdir -p d/e && echo 1 > d/one.md && echo 2 > d/e/two.md && echo 3 > keep.md")
        var reconciler = reconciler()
        for name in ["d/one.md", "d/e/two.md", "keep.md"] {
            _ = reconciler.handle(.found(path: path(name), reason: .initialWalk), now: at(0))
        }
        try folder.shell("rm -r d")
        _ = reconciler.handle(changed("d", [.delete, .isDirectory]), now: at(10))
        #expect(reconciler.flushDue(now: at(60)).isEmpty)
        let signals = reconciler.flushDue(now: at(1010))
        #expect(Set(names(signals)) == ["pre_delete d/one.md", "post_delete d/one.md", "pre_delete d/e/two.md", "post_delete d/e/two.md"])
    }

    @Test("files outside the model are ignored")
    func outsideModel() throws {
        var reconciler = reconciler()
        try folder.shell("echo x > a.txt && echo y > .a.md.swp")
        _ = reconciler.handle(changed("a.txt", .closeWrite), now: at(0))
        _ = reconciler.handle(changed(".a.md.swp", .closeWrite), now: at(0))
        #expect(reconciler.isSettled)
        #expect(reconciler.flushDue(now: at(100)).isEmpty)
    }

    @Test("with reportInitialFiles, existing files are saved with source initial")
    func initialFiles() throws {
        try folder.shell("echo hi > a.md")
        var reconciler = reconciler(reportInitialFiles: true)
        _ = reconciler.handle(.found(path: path("a.md"), reason: .initialWalk), now: at(0))
        #expect(reconciler.flushDue(now: at(50)).isEmpty, "nothing is decided before the first walk is done")
        _ = reconciler.handle(.ready(folders: 1, files: 1), now: at(0))
        let signals = reconciler.flushDue(now: at(50))
        #expect(names(signals) == ["pre_save a.md", "post_save a.md created:true"])
        #expect(signals.allSatisfy { $0.source == .initial })
    }

    @Test("an event that changed nothing (a read-only open, attrib with same state) sends nothing")
    func unchanged() throws {
        try folder.shell("echo hi > a.md")
        var reconciler = reconciler()
        _ = reconciler.handle(.found(path: path("a.md"), reason: .initialWalk), now: at(0))
        _ = reconciler.handle(changed("a.md", .closeWrite), now: at(10))
        #expect(reconciler.flushDue(now: at(100)).isEmpty)
    }

    @Test("a symbolic link and a hard link arrive whole: decided once the settle window has passed, not after the unclosed-write wait",
          arguments: ["ln -s target.md a.md", "ln target.md a.md"])
    func linksArriveWhole(_ command: String) throws {
        try folder.shell("echo hi > target.md")
        var reconciler = reconciler()
        _ = reconciler.handle(.found(path: path("target.md"), reason: .initialWalk), now: at(0))
        _ = reconciler.flushDue(now: at(100))
        try folder.shell(command)
        // `ln` and `ln -s` give a CREATE and nothing else: no CLOSE_WRITE ever comes.
        #expect(reconciler.handle(changed("a.md", .create), now: at(200)).isEmpty)
        #expect(reconciler.flushDue(now: at(249)).isEmpty, "still inside the settle window")
        #expect(names(reconciler.flushDue(now: at(250))) == ["pre_save a.md", "post_save a.md created:true"])
    }

    @Test("a file created and still open waits for the unclosed-write timeout, not just the settle window")
    func unclosedFileWaits() throws {
        var reconciler = reconciler()
        try folder.shell("echo hi > a.md")
        #expect(reconciler.handle(changed("a.md", .create), now: at(0)).isEmpty)
        #expect(reconciler.flushDue(now: at(50)).isEmpty, "a writer may still hold it open")
        #expect(reconciler.flushDue(now: at(999)).isEmpty)
        #expect(names(reconciler.flushDue(now: at(1000))) == ["pre_save a.md", "post_save a.md created:true"])
    }
}
