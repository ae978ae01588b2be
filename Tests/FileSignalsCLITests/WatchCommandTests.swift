// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc
import Testing
import TestSupport

/// Acceptance tests: the built `filesignals watch --json` on real temporary folders with real inotify.
@Suite("filesignals watch", .serialized, .ownThreads(timeLimit: .seconds(120)))
struct WatchCommandTests {
    private func startWatching(_ folder: TemporaryFolder, _ extra: [String] = []) throws -> RunningCommand {
        try RunningCommand.watching(folder, extra)
    }

    private func stop(_ command: RunningCommand) -> RunningCommand.Output { command.stopCleanly() }

    @Test("a new file gives pre_save then post_save with created true; an append gives created false; rm gives pre_delete then post_delete")
    func createAppendDelete() throws {
        let folder = try TemporaryFolder()
        let command = try startWatching(folder)

        try folder.shell("echo hi > a.md")
        command.wait { $0.summary.count >= 2 }
        try folder.shell("echo more >> a.md")
        command.wait { $0.summary.count >= 4 }
        try folder.shell("rm a.md")
        command.wait { $0.summary.count >= 6 }
        let output = stop(command)

        #expect(output.summary == [
            "pre_save a.md", "post_save a.md created:true",
            "pre_save a.md", "post_save a.md created:false",
            "pre_delete a.md", "post_delete a.md",
        ])
        #expect(output.signals.map(\.seq) == [1, 2, 3, 4, 5, 6].map(Optional.some))
        let created = try #require(output.signals.dropFirst().first)
        #expect(created.object["path"] as? String == folder.path + "/a.md")
        #expect(created.object["size"] as? Int == 3)
        #expect(created.object["source"] as? String == "live")
        #expect(created.object["type"] as? String == "signal")
        #expect(created.object["sender"] as? String == "File")
        #expect(created.object["inode"] is Int)
        #expect(created.object["mtime"] is String)
        #expect(output.signals.last?.object["size"] as? Int == 8, "post_delete carries the last known state")
    }

    @Test("the JSON keys come in the order of the spec")
    func keyOrder() throws {
        let folder = try TemporaryFolder()
        let command = try startWatching(folder)
        try folder.shell("echo hi > a.md")
        command.wait { $0.summary.count >= 2 }
        let output = stop(command)
        let line = try #require(output.stdout.dropFirst().first)
        let keys = ["type", "seq", "time", "signal", "sender", "instance", "path", "created", "source", "size", "mtime", "inode"]
        let positions = keys.map { line.range(of: "\"\($0)\":")?.lowerBound }
        #expect(!positions.contains(nil), "missing a key in \(line)")
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted(), "keys out of order in \(line)")
    }

    @Test("a file written at once into folders made by mkdir -p is reported every time, 200 times over")
    func nestedFoldersRace() async throws {
        let folder = try TemporaryFolder()
        let command = try startWatching(folder)
        let repetitions = 200

        try folder.shell("i=0; while [ $i -lt \(repetitions) ]; do mkdir -p x$i/y/z && echo q > x$i/y/z/f.md; i=$((i+1)); done")
        await command.waitAsync { Set($0.signals.filter { $0.signal == "post_save" }.compactMap(\.instance)).count >= repetitions }
        let output = stop(command)

        let saves = output.signals.filter { $0.signal == "post_save" }
        let expected = Set((0..<repetitions).map { "x\($0)/y/z/f.md" })
        #expect(Set(saves.compactMap(\.instance)) == expected)
        #expect(saves.count == repetitions, "one post_save per file")
        #expect(saves.allSatisfy { $0.created == true })
        #expect(output.signals.filter { $0.signal == "pre_save" }.count == repetitions)
        #expect(!output.signals.contains { $0.signal == "post_delete" || $0.signal == "pre_delete" })
    }

    @Test("the same mkdir -p x/y/z && echo q > x/y/z/f.md, removed and made again 200 times, is reported every time")
    func nestedFoldersRaceSamePath() async throws {
        let folder = try TemporaryFolder()
        // The race is between the new folders' watches and the file written into them; a delete decided at the
        // end of the save window keeps 200 rounds short.
        let command = try startWatching(folder, ["--delete-settle", "0"])
        let repetitions = 200
        for round in 1...repetitions {
            try folder.shell("mkdir -p x/y/z && echo q > x/y/z/f.md")
            let saved = await command.waitAsync { $0.summary.filter { $0 == "post_save x/y/z/f.md created:true" }.count >= round }
            try #require(saved.summary.filter { $0 == "post_save x/y/z/f.md created:true" }.count == round, "round \(round)")
            try folder.shell("rm -r x")
            let deleted = await command.waitAsync { $0.summary.filter { $0 == "post_delete x/y/z/f.md" }.count >= round }
            try #require(deleted.summary.filter { $0 == "post_delete x/y/z/f.md" }.count == round, "round \(round)")
        }
        let output = stop(command)
        let cycle = ["pre_save x/y/z/f.md", "post_save x/y/z/f.md created:true", "pre_delete x/y/z/f.md", "post_delete x/y/z/f.md"]
        #expect(output.summary == Array(Array(repeating: cycle, count: repetitions).joined()))
    }

    @Test("several folders: instances are named from their common folder, so a/x.md and b/x.md stay apart")
    func severalFolders() throws {
        let parent = try TemporaryFolder()
        try parent.shell("mkdir -p a b/c")
        let command = try RunningCommand(["watch", "a", "b/c", "--json", "--no-state"], in: parent.url)
        try #require(command.waitUntilReady(), "\(command.snapshot.stderr)")
        try parent.shell("echo 1 > a/x.md && echo 2 > b/c/x.md")
        command.wait { $0.signals.filter { $0.signal == "post_save" }.count >= 2 }
        let output = stop(command)
        #expect(Set(output.signals.filter { $0.signal == "post_save" }.compactMap(\.instance)) == ["a/x.md", "b/c/x.md"])
    }

    @Test("a single file: watched through its folder, so an editor's rename dance is one save; its neighbours are not instances")
    func singleFile() throws {
        let folder = try TemporaryFolder()
        try folder.shell("echo old > notes.md && echo o > other.md && mkdir sub")
        let command = try RunningCommand(["watch", "notes.md", "--json", "--no-state"], in: folder.url)
        try #require(command.waitUntilReady(), "\(command.snapshot.stderr)")
        try folder.shell("echo new > other.md && echo x > sub/notes.md && echo y > notes.md.bak")
        try folder.shell("python3 -c \"import os; os.rename('notes.md','notes.md~'); open('notes.md','w').write('new'); os.unlink('notes.md~')\"")
        command.wait { $0.signals.contains { $0.signal == "post_save" } }
        try folder.shell("rm notes.md")
        command.wait { $0.signals.contains { $0.signal == "post_delete" } }
        let output = stop(command)
        #expect(output.summary == ["pre_save notes.md", "post_save notes.md created:false", "pre_delete notes.md", "post_delete notes.md"])
    }

    @Test("a clean exit leaves the state database alone in its folder: no -wal, -shm or lock file; log leaves none either")
    func cleanExitLeavesNoCompanions() throws {
        let folder = try TemporaryFolder()
        let state = try TemporaryFolder()
        let database = state.path + "/state.db"
        let command = try RunningCommand.watching(folder, ["--state", database])
        try folder.shell("echo a > a.md")
        command.wait { $0.signals.contains { $0.signal == "post_save" } }
        let companions = { try FileManager.default.contentsOfDirectory(atPath: state.path).sorted() }
        #expect(try companions().contains("state.db-wal"), "while watching, the log is there")
        _ = stop(command)
        #expect(try companions() == ["state.db"])
        let log = try RunningCommand(["log", folder.path, "--state", database]).waitForExit()
        #expect(log.exitStatus == 0)
        #expect(log.stdout.count == 2, "\(log.stdout)")
        #expect(try companions() == ["state.db"])
    }

    @Test("--match keeps other files out, in the top folder and in subfolders")
    func matchFilter() throws {
        let folder = try TemporaryFolder()
        let command = try startWatching(folder, ["--match", "*.md"])
        try folder.shell("echo a > a.txt && mkdir sub && echo c > sub/c.txt && echo c > sub/c.md && echo b > b.md")
        command.wait { Set($0.signals.filter { $0.signal == "post_save" }.compactMap(\.instance)).count >= 2 }
        try folder.shell("rm a.txt sub/c.txt")
        let output = stop(command)
        #expect(Set(output.signals.compactMap(\.instance)) == ["b.md", "sub/c.md"])
    }

    @Test("--exclude keeps matching files and folders out")
    func excludeFilter() throws {
        let folder = try TemporaryFolder()
        let command = try startWatching(folder, ["--exclude", "drafts/", "--exclude", "*.log"])
        try folder.shell("mkdir drafts && echo a > drafts/a.md && echo l > x.log && echo k > keep.md")
        command.wait { $0.signals.contains { $0.signal == "post_save" && $0.instance == "keep.md" } }
        let output = stop(command)
        #expect(Set(output.signals.compactMap(\.instance)) == ["keep.md"])
    }

    @Test("editors' swap and backup files and .git are ignored by default")
    func defaultIgnores() throws {
        let folder = try TemporaryFolder()
        let command = try startWatching(folder)
        try folder.shell("mkdir .git && echo x > .git/index && echo s > .a.md.swp && echo b > a.md~ && echo 4 > 4913 && echo k > keep.md")
        command.wait { $0.signals.contains { $0.signal == "post_save" && $0.instance == "keep.md" } }
        let output = stop(command)
        #expect(Set(output.signals.compactMap(\.instance)) == ["keep.md"])
    }

    @Test("existing files are known at start: nothing is reported for them, and their deletion is")
    func existingFiles() throws {
        let folder = try TemporaryFolder()
        try folder.shell("mkdir -p old/deep && echo o > old/deep/o.md")
        let command = try startWatching(folder)
        #expect(command.snapshot.stderr.contains { $0.contains("1 file") })
        try folder.shell("rm -r old")
        command.wait { $0.summary.count >= 2 }
        let output = stop(command)
        #expect(output.summary == ["pre_delete old/deep/o.md", "post_delete old/deep/o.md"])
    }

    @Test("--initial reports every existing file as created, with source initial")
    func initialFiles() throws {
        let folder = try TemporaryFolder()
        try folder.shell("echo a > a.md && mkdir s && echo b > s/b.md")
        let command = try startWatching(folder, ["--initial"])
        command.wait { $0.signals.filter { $0.signal == "post_save" }.count >= 2 }
        let output = stop(command)
        let saves = output.signals.filter { $0.signal == "post_save" }
        #expect(Set(saves.compactMap(\.instance)) == ["a.md", "s/b.md"])
        #expect(saves.allSatisfy { $0.created == true && $0.object["source"] as? String == "initial" })
    }

    @Test("--settle 0 still gives one post_save per write")
    func settleZero() throws {
        let folder = try TemporaryFolder()
        let command = try startWatching(folder, ["--settle", "0"])
        try folder.shell("echo hi > a.md")
        command.wait { $0.summary.count >= 2 }
        let output = stop(command)
        #expect(output.summary == ["pre_save a.md", "post_save a.md created:true"])
    }

    @Test("a file name that is not UTF-8 is reported with its exact bytes in instance_b64")
    func nonUTF8Name() throws {
        let folder = try TemporaryFolder()
        let command = try startWatching(folder)
        let name: [UInt8] = Array("caf".utf8) + [0xE9] + Array(".md".utf8)   // Latin-1 "café.md"
        let path = Array(folder.path.utf8) + [UInt8(ascii: "/")] + name + [0]
        let descriptor = path.withUnsafeBufferPointer { open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_CREAT | O_WRONLY, 0o644) }
        try #require(descriptor >= 0)
        close(descriptor)
        command.wait { $0.summary.count >= 2 }
        let output = stop(command)
        let save = try #require(output.signals.last)
        #expect(save.signal == "post_save")
        #expect(save.instance == "caf\u{FFFD}.md")
        #expect(save.object["instance_b64"] as? String == Data(name).base64EncodedString())
    }

    @Test("SIGINT and SIGTERM end it with status 0", arguments: [SIGINT, SIGTERM])
    func stopSignals(signal: Int32) throws {
        let folder = try TemporaryFolder()
        let command = try startWatching(folder)
        command.send(signal)
        let output = command.waitForExit()
        #expect(output.exitStatus == 0, "\(output.stderr)")
        #expect(!output.stderr.contains { $0.contains("error") }, "\(output.stderr)")
    }

    @Test("a closed stdout (| head -1) ends it quietly")
    func closedStandardOutput() throws {
        let folder = try TemporaryFolder()
        // A real shell pipeline, as a user types it; the watcher's own status is printed on stderr.
        let script = "\"$0\" watch \"$1\" --json | head -1; echo \"watch status ${PIPESTATUS[0]}\" >&2"
        let command = try RunningCommand(
            ["-c", script, BuiltBinary.url.path, folder.path], executable: URL(fileURLWithPath: "/bin/bash"))
        try #require(command.waitUntilReady())
        try folder.shell("echo hi > a.md")
        let output = command.waitForExit()
        #expect(output.exitStatus == 0)
        #expect(output.stdout.count == 1)
        #expect(SignalLine(output.stdout.first ?? "")?.signal == "pre_save")
        #expect(output.stderr.last == "watch status 0", "\(output.stderr)")
        #expect(!output.stderr.contains { $0.contains("error") || $0.contains("Broken pipe") }, "\(output.stderr)")
    }

    @Test("a missing folder is a clear error with status 66")
    func missingFolder() throws {
        let folder = try TemporaryFolder()
        let command = try RunningCommand(["watch", folder.path + "/nope", "--json"])
        let output = command.waitForExit()
        #expect(output.exitStatus == 66)
        #expect(output.stdout.isEmpty)
        #expect(output.stderr.contains { $0.contains("nope") && $0.contains("no such folder") }, "\(output.stderr)")
    }

    @Test("a bad --settle is a usage error with status 64")
    func badSettle() throws {
        let folder = try TemporaryFolder()
        let command = try RunningCommand(["watch", folder.path, "--settle", "soon"])
        let output = command.waitForExit()
        #expect(output.exitStatus == 64)
        #expect(output.stderr.contains { $0.contains("soon") }, "\(output.stderr)")
    }

    @Test("without --json, a short human line per signal goes to stderr and nothing to stdout")
    func humanLines() throws {
        let folder = try TemporaryFolder()
        let command = try RunningCommand(["watch", folder.path])
        try #require(command.waitUntilReady())
        try folder.shell("echo hi > a.md")
        command.wait { $0.stderr.contains { $0.contains("post_save") } }
        command.send(SIGTERM)
        let output = command.waitForExit()
        #expect(output.exitStatus == 0)
        #expect(output.stdout.isEmpty)
        #expect(output.stderr.contains { $0.contains("post_save") && $0.contains("a.md") }, "\(output.stderr)")
    }
}

extension WatchCommandTests {
    @Test("hostile file names: each is reported once, in valid JSON that names it exactly")
    func hostileNames() throws {
        let folder = try TemporaryFolder()
        let command = try RunningCommand.watching(folder, ["--no-state"])
        for name in HostileNames.all {
            let path = Array(folder.path.utf8) + [UInt8(ascii: "/")] + name + [0]
            let descriptor = path.withUnsafeBufferPointer { open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_CREAT | O_WRONLY, 0o644) }
            try #require(descriptor >= 0, "cannot create \(name)")
            close(descriptor)
        }
        command.wait { $0.signals.filter { $0.signal == "post_save" }.count >= HostileNames.all.count }
        let output = command.stopCleanly()
        let reported = output.signals.filter { $0.signal == "post_save" }.map { line -> [UInt8] in
            if let encoded = line.object["instance_b64"] as? String, let bytes = Data(base64Encoded: encoded) { return Array(bytes) }
            return Array((line.instance ?? "").utf8)
        }
        #expect(reported.count == HostileNames.all.count)
        #expect(Set(reported) == Set(HostileNames.all))
        #expect(access(folder.path + "/pwned", F_OK) != 0)
    }

    @Test("symbolic links are instances of their own and never followed, even in a loop or out of the root")
    func symbolicLinks() throws {
        let folder = try TemporaryFolder()
        let outside = try TemporaryFolder()
        try outside.shell("mkdir deep && echo secret > deep/secret.md")
        try folder.shell("mkdir sub && ln -s .. sub/loop && ln -s '\(outside.path)' out")
        let command = try RunningCommand.watching(folder, ["--no-state"])
        #expect(command.snapshot.stderr.contains { $0.contains(", 2 files; ready") }, "the two links count, their targets not: \(command.snapshot.stderr)")
        try folder.shell("ln -s '\(outside.path)/deep/secret.md' link.md")
        command.wait { $0.signals.contains { $0.signal == "post_save" } }
        try outside.shell("echo changed >> deep/secret.md")   // outside the root: never reported
        try folder.shell("echo done > last.md")
        command.wait { $0.signals.contains { $0.instance == "last.md" && $0.signal == "post_save" } }
        let output = command.stopCleanly()
        #expect(Set(output.signals.compactMap(\.instance)) == ["link.md", "last.md"])
        let link = output.signals.first { $0.instance == "link.md" && $0.signal == "post_save" }
        #expect(link?.object["size"] as? Int == (outside.path + "/deep/secret.md").utf8.count, "the link's own size, not its target's")
    }
}
