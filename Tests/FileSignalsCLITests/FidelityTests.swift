// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc
import Testing
import TestSupport

/// Renames, overflow, restarts and crashes, on real folders with the built binary.
@Suite("Signal fidelity", .serialized, .ownThreads(timeLimit: .seconds(300)))
struct FidelityTests {
    private func startWatching(_ folder: TemporaryFolder, _ extra: [String] = ["--no-state"]) throws -> RunningCommand {
        try RunningCommand.watching(folder, extra)
    }

    private func stop(_ command: RunningCommand) -> RunningCommand.Output { command.stopCleanly() }

    /// `signal instance` with the move fields, for comparisons.
    private func described(_ line: SignalLine) -> String {
        var text = "\(line.signal ?? "?") \(line.instance ?? "?")"
        if let created = line.created { text += " created:\(created)" }
        if let from = line.object["moved_from"] as? String { text += " from:\(from)" }
        if let to = line.object["moved_to"] as? String { text += " to:\(to)" }
        if let source = line.object["source"] as? String, source != "live" { text += " [\(source)]" }
        return text
    }

    @Test("restart on 6,000 files, a walk longer than the settle window: renames made while stopped are paired")
    func restartLargeTreeRenames() throws {
        let folder = try TemporaryFolder()
        let state = try TemporaryFolder()
        let stateArguments = ["--state", state.path + "/s.db"]
        try folder.shell("for d in 0 1 2; do mkdir d$d; for i in $(seq 1 2000); do echo $d-$i > d$d/f$i.md; done; done")
        var command = try startWatching(folder, stateArguments)
        _ = stop(command)

        try folder.shell("mv d0/f10.md d0/g10.md && mv d1/f20.md d2/moved.md")
        command = try startWatching(folder, stateArguments)
        command.wait { $0.signals.count >= 8 }
        let second = stop(command)
        #expect(Set(second.signals.map(described)) == [
            "pre_delete d0/f10.md [catch-up]", "post_delete d0/f10.md to:d0/g10.md [catch-up]",
            "pre_save d0/g10.md [catch-up]", "post_save d0/g10.md created:true from:d0/f10.md [catch-up]",
            "pre_delete d1/f20.md [catch-up]", "post_delete d1/f20.md to:d2/moved.md [catch-up]",
            "pre_save d2/moved.md [catch-up]", "post_save d2/moved.md created:true from:d1/f20.md [catch-up]",
        ], "\(second.summary)")
        #expect(second.signals.count == 8, "\(second.summary)")
    }

    @Test("renames: a file, a folder within the tree, a folder moved out and one moved in")
    func renames() throws {
        let folder = try TemporaryFolder()
        let outside = try TemporaryFolder()
        try folder.shell("echo a > a.md && mkdir d && echo x > d/x.md && echo y > d/y.md")
        let command = try startWatching(folder)
        func waitFor(_ count: Int) { command.wait { $0.signals.count >= count } }

        try folder.shell("mv a.md b.md")
        waitFor(4)
        try folder.shell("mkdir sub && mv d sub/d2")
        waitFor(12)
        try folder.shell("mv sub/d2 '\(outside.path)/gone' && echo z >> '\(outside.path)/gone/x.md'")
        waitFor(16)
        try folder.shell("mkdir '\(outside.path)/in' && echo i > '\(outside.path)/in/i.md' && mv '\(outside.path)/in' sub/in")
        waitFor(18)
        let output = stop(command)

        let lines = output.signals.map(described)
        #expect(Array(lines[0..<4]) == [
            "pre_delete a.md", "post_delete a.md to:b.md", "pre_save b.md", "post_save b.md created:true from:a.md",
        ])
        #expect(Set(lines[4..<12]) == [
            "pre_delete d/x.md", "post_delete d/x.md to:sub/d2/x.md", "pre_save sub/d2/x.md", "post_save sub/d2/x.md created:true from:d/x.md",
            "pre_delete d/y.md", "post_delete d/y.md to:sub/d2/y.md", "pre_save sub/d2/y.md", "post_save sub/d2/y.md created:true from:d/y.md",
        ])
        #expect(Set(lines[12..<16]) == ["pre_delete sub/d2/x.md", "post_delete sub/d2/x.md", "pre_delete sub/d2/y.md", "post_delete sub/d2/y.md"])
        #expect(Array(lines[16...]) == ["pre_save sub/in/i.md", "post_save sub/in/i.md created:true"])
    }

    @Test("a watched folder that is deleted and made again: its files are deleted, then the new ones saved")
    func rootRecreated() throws {
        let parent = try TemporaryFolder()
        try parent.shell("mkdir w && echo a > w/a.md")
        let root = parent.path + "/w"
        let command = try RunningCommand(["watch", root, "--json", "--no-state"])
        try #require(command.waitUntilReady())
        try parent.shell("rm -r w")
        command.wait { $0.signals.count >= 2 }
        try parent.shell("mkdir w && echo b > w/b.md")
        command.wait { $0.signals.count >= 4 }
        let output = stop(command)
        #expect(output.signals.map(described) == ["pre_delete a.md", "post_delete a.md", "pre_save b.md", "post_save b.md created:true"])
        #expect(output.stderr.contains { $0.contains("is gone") } && output.stderr.contains { $0.contains("is back") })
    }

    @Test("overflow: 20,000 files created and 10 renamed while the watcher is stopped are each reported once, renames paired, the others not at all")
    func overflow() async throws {
        let folder = try TemporaryFolder()
        try folder.shell("python3 -c \"[open(f'old{i}.md','w').write('o') for i in range(1000)]\"")
        let command = try startWatching(folder)
        let count = 20_000
        // SIGSTOP starves the reader: the kernel queue (16,384 events by default) overflows.
        command.send(SIGSTOP)
        try folder.shell("python3 -c \"[open(f'new{i}.md','w').write('n') for i in range(\(count))]\"")
        // Renamed after the queue is full: only the rescan sees them, among 20,000 new files.
        try folder.shell("python3 -c \"import os; [os.rename(f'old{i}.md', f'renamed{i}.md') for i in range(10)]\"")
        command.send(SIGCONT)
        // Each new file gives a pre_save and a post_save, each rename four lines; counting lines keeps each
        // wake-up cheap (the assertions below decode them).
        await command.waitAsync(upTo: .seconds(120)) { $0.stdout.count >= 2 * count + 40 }
        let output = stop(command)

        let saves = output.signals.filter { $0.signal == "post_save" }
        #expect(saves.count == count + 10, "one post_save per file")
        #expect(Set(saves.compactMap(\.instance)) == Set((0..<count).map { "new\($0).md" } + (0..<10).map { "renamed\($0).md" }))
        #expect(saves.allSatisfy { $0.created == true })
        let renames = output.signals.filter { $0.signal == "post_delete" }.map { "\($0.instance ?? "?") to:\($0.object["moved_to"] as? String ?? "-")" }
        #expect(renames.sorted() == (0..<10).map { "old\($0).md to:renamed\($0).md" }.sorted(), "each rename paired, not a create and a delete")
        #expect(saves.filter { $0.object["moved_from"] != nil }.count == 10)
        #expect(!output.signals.contains { ($0.instance?.hasPrefix("old") == true) && $0.signal?.hasSuffix("_delete") != true }, "nothing for files that did not change")
        #expect(output.signals.contains { $0.object["source"] as? String == "rescan" }, "the queue did overflow")
        #expect(output.stderr.contains { $0.contains("overflowed") })
    }

    @Test("restart: exactly the catch-up signals for what changed while stopped, none after a clean stop, and log --since")
    func restart() throws {
        let folder = try TemporaryFolder()
        let state = try TemporaryFolder()
        let stateArguments = ["--state", state.path + "/s.db"]
        try folder.shell("echo a > a.md && echo b > b.md && echo c > c.md && echo d > d.md && touch -d '2020-01-01' d.md")

        // First run: no state yet, the files become the table silently; then one live save.
        var command = try startWatching(folder, stateArguments)
        try folder.shell("echo e > e.md")
        command.wait { $0.signals.count >= 2 }
        let first = stop(command)
        #expect(first.signals.map(described) == ["pre_save e.md", "post_save e.md created:true"])

        // While stopped: create, change, delete, move, touch.
        try folder.shell("echo new > new.md && echo more >> a.md && rm b.md && mkdir moved && mv c.md moved/c.md && touch d.md")
        command = try startWatching(folder, stateArguments)
        command.wait { $0.signals.count >= 12 }
        let second = stop(command)
        #expect(Set(second.signals.map(described)) == [
            "pre_save new.md [catch-up]", "post_save new.md created:true [catch-up]",
            "pre_save a.md [catch-up]", "post_save a.md created:false [catch-up]",
            "pre_delete b.md [catch-up]", "post_delete b.md [catch-up]",
            "pre_delete c.md [catch-up]", "post_delete c.md to:moved/c.md [catch-up]",
            "pre_save moved/c.md [catch-up]", "post_save moved/c.md created:true from:c.md [catch-up]",
            "pre_save d.md [catch-up]", "post_save d.md created:false [catch-up]",
        ])
        #expect(second.signals.compactMap(\.seq) == Array(3...14), "seq continues across restarts")
        let touched = second.signals.first { $0.signal == "post_save" && $0.instance == "d.md" }
        #expect(touched?.object["changes"] as? [String] == ["mtime"])

        // A clean stop loses nothing and repeats nothing.
        command = try startWatching(folder, stateArguments)
        try folder.shell("echo f > f.md")
        command.wait { $0.signals.count >= 2 }
        let third = stop(command)
        #expect(third.signals.map(described) == ["pre_save f.md", "post_save f.md created:true"])
        #expect(third.signals.compactMap(\.seq) == [15, 16])

        // The journal gives back exactly the lines printed after a seq.
        let log = try RunningCommand(["log", folder.path] + stateArguments + ["--since", "10"]).waitForExit()
        #expect(log.exitStatus == 0)
        let printed = (first.stdout + second.stdout + third.stdout).filter { (SignalLine($0)?.seq ?? 0) > 10 }
        #expect(log.stdout == printed)
        let deletes = try RunningCommand(["log", folder.path, "--signal", "post_delete"] + stateArguments).waitForExit()
        #expect(Set(deletes.stdout.compactMap { SignalLine($0)?.instance }) == ["b.md", "c.md"])
    }

    @Test("kill -9 in the middle of a burst with a slow reader: nothing is missed, and only unfinished signals repeat")
    func crash() async throws {
        let folder = try TemporaryFolder()
        let scratch = try TemporaryFolder()
        let statePath = scratch.path + "/s.db"
        let received = scratch.path + "/received.jsonl"
        let count = 2000

        // The watcher's stdout goes to a reader that takes 2 ms per line, so that the watcher is blocked
        // mid-dispatch with signals recorded but not finished when it is killed.
        var between: [Int32] = [-1, -1]
        try #require(pipe(&between) == 0)
        let watcher = try ChildProcess(
            [BuiltBinary.url.path, "watch", folder.path, "--json", "--state", statePath],
            stdout: .descriptor(between[1]), stderr: .pipe)
        let reader = try ChildProcess(
            ["/usr/bin/env", "python3", "-c", "import sys, time\nout = open(sys.argv[1], 'w')\nfor line in sys.stdin:\n    out.write(line); out.flush(); time.sleep(0.002)\n", received],
            stdin: .descriptor(between[0]))
        close(between[0])
        close(between[1])
        // Ready: the watcher says so on stderr.
        let readyLine = FileHandle(fileDescriptor: watcher.standardError, closeOnDealloc: false).readLine()
        #expect(readyLine?.hasSuffix("ready") == true)

        try folder.shell("python3 -c \"[open(f'f{i}.md','w').write('x') for i in range(\(count))]\"")
        // Wait until the reader has seen some signals, then kill the watcher in the middle of the burst.
        _ = poll(upTo: 30, every: .milliseconds(10)) {
            ((try? String(contentsOfFile: received, encoding: .utf8).split(separator: "\n").count) ?? 0) >= 200
        }
        watcher.kill(SIGKILL)
        #expect(watcher.wait(upTo: .seconds(30)) != nil)
        #expect(reader.wait(upTo: .seconds(60)) != nil, "the reader reads what the watcher had written before it died")
        let firstRun = try String(contentsOfFile: received, encoding: .utf8).split(separator: "\n").map(String.init)
        let firstSaves = firstRun.compactMap(SignalLine.init).filter { $0.signal == "post_save" }
        #expect(firstSaves.count < count, "killed before the end of the burst")

        // Restart with the same state, reading normally.
        let command = try startWatching(folder, ["--state", statePath])
        await command.waitAsync(upTo: .seconds(60)) { output in
            let seen = Set(firstSaves.compactMap(\.instance) + output.signals.filter { $0.signal == "post_save" }.compactMap(\.instance))
            return seen.count >= count
        }
        let second = stop(command)

        let secondSaves = second.signals.filter { $0.signal == "post_save" }
        let all = Set(firstSaves.compactMap(\.instance) + secondSaves.compactMap(\.instance))
        #expect(all == Set((0..<count).map { "f\($0).md" }), "nothing missed across the crash")
        // A file reported twice is a signal dispatched again: the same seq, marked catch-up.
        let firstBySeq = Dictionary(firstSaves.compactMap { line in line.seq.map { ($0, line) } }, uniquingKeysWith: { a, _ in a })
        for save in secondSaves where firstSaves.contains(where: { $0.instance == save.instance }) {
            #expect(save.object["source"] as? String == "catch-up")
            #expect(save.seq.flatMap { firstBySeq[$0]?.instance } == save.instance, "a repeat is the same signal: \(save.text)")
        }
        #expect(Set(firstSaves.compactMap(\.instance)).count == firstSaves.count, "no repeat within a run")
    }
}

extension FileHandle {
    /// Reads one line (without its newline), byte by byte: for a pipe whose other lines are read elsewhere.
    func readLine() -> String? {
        var bytes: [UInt8] = []
        while true {
            let data = readData(ofLength: 1)
            guard let byte = data.first else { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
            if byte == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
        }
    }
}

/// `filesignals watch` whose stdout goes to a reader that reads nothing until it is released.
private struct StalledReader {
    let command: RunningCommand
    private let scratch: TemporaryFolder

    /// Starts `filesignals watch --json --no-state EXTRA...` in `folder` (its config, or the folder itself when
    /// it has none), and waits until it is ready.
    init(watching folder: TemporaryFolder, _ extra: [String] = []) throws {
        scratch = try TemporaryFolder()
        let script = """
            folder="$1"; scratch="$2"; shift 2
            cd "$folder" && { "$0" watch --json --no-state "$@" & echo $! > "$scratch/pid"; wait; } | { while [ ! -e "$scratch/go" ]; do sleep 0.05; done; cat; }
            """
        command = try RunningCommand(
            ["-c", script, BuiltBinary.url.path, folder.path, scratch.path] + extra, executable: URL(fileURLWithPath: "/bin/bash"))
        try #require(command.waitUntilReady(), "\(command.snapshot.stderr)")
    }

    /// The watcher's pid (not the pipeline's).
    var watcher: pid_t { pid_t((try? String(contentsOfFile: scratch.path + "/pid", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? -1 }

    /// The reader starts reading.
    func release() throws { try scratch.shell("touch go") }

    /// Stops the watcher with SIGTERM, and returns all the reader got.
    func stop() -> RunningCommand.Output {
        kill(watcher, SIGTERM)
        return command.waitForExit()
    }
}

extension FidelityTests {
    @Test("a reader that stops reading: memory stays bounded, and once it reads again every file is reported once")
    func stalledReader() async throws {
        let folder = try TemporaryFolder()
        let count = 60_000
        let reader = try StalledReader(watching: folder)
        try folder.shell("python3 -c \"[open(f'f{i}.md','w').write('x') for i in range(\(count))]\"")
        func residentMegabytes() -> Int {
            let status = (try? String(contentsOfFile: "/proc/\(reader.watcher)/status", encoding: .utf8)) ?? ""
            let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
            return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
        }
        let whileStalled = residentMegabytes()
        try reader.release()
        await reader.command.waitAsync(upTo: .seconds(180)) { $0.stdout.count >= 2 * count }
        let output = reader.stop()
        let saves = output.stdout.filter { $0.contains(#""signal":"post_save""#) }
        #expect(saves.count == count, "one post_save per file")
        #expect(Set(saves.compactMap { SignalLine($0)?.instance }).count == count)
        // What the reader had not read waited in memory up to a bound, then in the spool file.
        #expect(whileStalled < 150, "\(whileStalled) MB while the reader was stalled")
    }

    @Test("a reader that stops reading holds up no receiver: they all run meanwhile, and the reader then gets every line")
    func receiversRunWhileStdoutStalls() async throws {
        let count = 1500
        let project = try TemporaryFolder.project(config: """
            [model Note]
            path = notes
            [receiver record]
            signal = post_save
            command = echo "$FILESIGNALS_INSTANCE" >> ../ran.log
            cwd = notes
            """)
        let reader = try StalledReader(watching: project)
        try project.shell("cd notes && python3 -c \"[open(f'f{i}.md','w').write('x' * 200) for i in range(\(count))]\"")
        func ran() -> Int { ((try? String(contentsOfFile: project.path + "/ran.log", encoding: .utf8)) ?? "").split(separator: "\n").count }
        // 3,000 lines of JSON are far more than a pipe holds, and nobody reads them yet.
        await reader.command.waitAsync(upTo: .seconds(120)) { _ in ran() >= count }
        #expect(ran() == count, "every receiver ran while stdout was not read")
        #expect(reader.command.snapshot.stdout.isEmpty)
        try reader.release()
        await reader.command.waitAsync(upTo: .seconds(60)) { $0.stdout.count >= 2 * count }
        let output = reader.stop()
        let saves = output.stdout.compactMap(SignalLine.init).filter { $0.signal == "post_save" }
        #expect(saves.count == count)
        #expect(Set(saves.compactMap(\.instance)) == Set((0..<count).map { "notes/f\($0).md" }), "every file once")
    }
}
