// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc
import Testing
import TestSupport

/// Faults in the world around a running watcher, made for real: permissions, the inotify watch limit
/// (lowered in a user namespace of its own, so nothing else on the machine is touched), a watched folder
/// that becomes a file.
@Suite("Faults in the world", .serialized, .ownThreads(timeLimit: .seconds(180)))
struct WorldFaultTests {
    /// Runs the built binary as `nobody` when the tests run as root (as in CI), where a permission could
    /// not stop anything; as an ordinary user, as that user. The binary is copied to a folder `nobody`
    /// can read, since the build folder may be under a private one.
    final class Unprivileged: Sendable {
        let folder: TemporaryFolder
        let binary: String

        init() throws {
            folder = try TemporaryFolder()
            binary = folder.path + "/filesignals"
            try FileManager.default.copyItem(atPath: BuiltBinary.url.path, toPath: binary)
            try folder.shell("chmod 755 . filesignals")
        }

        static var isRoot: Bool { getuid() == 0 }

        func command(_ arguments: [String]) throws -> RunningCommand {
            guard Self.isRoot else { return try RunningCommand(arguments, executable: URL(fileURLWithPath: binary)) }
            return try RunningCommand(
                ["--reuid=65534", "--regid=65534", "--clear-groups", "--", binary] + arguments,
                executable: URL(fileURLWithPath: "/usr/bin/setpriv"))
        }

        /// Gives `folder` to `nobody` (as root), so that the unprivileged watcher can write its state there.
        func handOver(_ folder: TemporaryFolder) throws {
            try folder.shell(Self.isRoot ? "chmod 755 . && chown -R 65534:65534 ." : "chmod 755 .")
        }
    }

    @Test("a subfolder that cannot be read is a warning; its instances are left as they were, the rest is watched")
    func unreadableSubfolder() throws {
        let user = try Unprivileged()
        let folder = try TemporaryFolder()
        let state = try TemporaryFolder()
        try folder.shell("mkdir open secret && echo a > open/a.md && echo s > secret/s.md")
        try user.handOver(folder)
        try user.handOver(state)
        let arguments = ["watch", folder.path, "--json", "--state", state.path + "/s.db"]

        // A first run records both instances.
        let first = try user.command(arguments)
        try #require(first.waitUntilReady(), "\(first.snapshot.stderr)")
        _ = first.stopCleanly()

        // The secret folder can no longer be read (or watched) by the watcher's user.
        try folder.shell("chmod 000 secret")
        let second = try user.command(arguments)
        try #require(second.waitUntilReady(), "\(second.snapshot.stderr)")
        #expect(second.snapshot.stderr.contains { $0.contains("secret") && $0.contains("Permission denied") }, "\(second.snapshot.stderr)")
        try folder.shell("echo b >> open/a.md")
        second.wait { $0.summary.contains("post_save open/a.md created:false") }
        let output = second.stopCleanly()
        try folder.shell("chmod 755 secret")   // so that the folder can be removed
        #expect(output.summary == ["pre_save open/a.md", "post_save open/a.md created:false"], "no delete for secret/s.md")
    }

    @Test("hashing a file leaves its access time alone; another user's file is hashed all the same")
    func accessTimesLeftAlone() throws {
        let user = try Unprivileged()
        let folder = try TemporaryFolder()
        try folder.shell("echo mine > mine.md && echo theirs > theirs.md")
        try user.handOver(folder)
        // As root, theirs.md is made root's: the watcher (nobody) may read it, but not keep its access time.
        if Unprivileged.isRoot { try folder.shell("chown 0:0 theirs.md && chmod 644 theirs.md") }
        // Last read long before they were written: any read now moves the access time (relatime).
        try folder.shell("touch -a -d 2001-01-01 mine.md theirs.md")
        func accessTime(_ name: String) -> Int {
            var info = stat()
            return stat(folder.path + "/" + name, &info) == 0 ? info.st_atim.tv_sec : -1
        }
        let before = accessTime("mine.md")
        // `printf 'mine\n' | sha256sum`, and the same for theirs.
        let mine = "fcbc800db3f1867000b852f1ce0044b8f1584f76ade1ed6e65189824f95c3cda"
        let theirs = "ed9c86a61e05623abeb71f9eeda8780dab0e28a2f69bb54813f99a2ec4b3602f"

        let output = try user.command(["scan", folder.path, "--initial", "--json", "--no-state"]).waitForExit()
        #expect(output.exitStatus == 0, "\(output.stderr)")
        let digests = Dictionary(output.signals.filter { $0.signal == "post_save" }.map { ($0.instance ?? "?", $0.object["sha256"] as? String) }, uniquingKeysWith: { a, _ in a })
        #expect(digests["mine.md"] == mine, "\(output.stdout)")
        #expect(accessTime("mine.md") == before, "the watcher's read of its own user's file left no trace")
        if Unprivileged.isRoot {
            #expect(digests["theirs.md"] == theirs, "read without O_NOATIME, which only the owner may ask for: \(output.stdout)")
            // The control: this file system does move access times on a read, so the check above means something.
            #expect(accessTime("theirs.md") != before, "another user's file is read as any reader reads it")
        }
    }

    @Test("a file the watcher cannot read is saved without a digest, and its saves make no log line about hashing",
          .enabled(if: Unprivileged.isRoot, "needs a file of another user"))
    func unreadableFileSaves() throws {
        let user = try Unprivileged()
        let folder = try TemporaryFolder()
        try user.handOver(folder)
        try folder.shell("echo 1 > secret.md && chmod 600 secret.md")
        let command = try user.command(["watch", folder.path, "--json", "--no-state"])
        try #require(command.waitUntilReady(), "\(command.snapshot.stderr)")
        for round in 1...3 {
            try folder.shell("echo \(round) >> secret.md")
            command.wait { $0.signals.filter { $0.signal == "post_save" }.count >= round }
        }
        try folder.shell("echo readable > open.md")
        command.wait { $0.signals.contains { $0.signal == "post_save" && $0.instance == "open.md" } }
        let output = command.stopCleanly()
        let saves = output.signals.filter { $0.signal == "post_save" }
        #expect(saves.filter { $0.instance == "secret.md" }.allSatisfy { $0.object["sha256"] == nil }, "\(output.stdout)")
        #expect(saves.first { $0.instance == "open.md" }?.object["sha256"] != nil)
        #expect(!output.stderr.contains { $0.contains("hashed in the background") }, "\(output.stderr)")
    }

    /// Runs the built binary in a user namespace whose inotify watch limit is `limit`.
    private func withWatchLimit(_ limit: Int, _ arguments: [String]) throws -> RunningCommand {
        let script = "echo \(limit) > /proc/sys/user/max_inotify_watches && exec \"$0\" \"$@\""
        return try RunningCommand(
            ["-Ur", "/bin/sh", "-c", script, BuiltBinary.url.path] + arguments, executable: URL(fileURLWithPath: "/usr/bin/unshare"))
    }

    @Test("the watch limit reached at start: exit 69 with the sysctl that raises it")
    func watchLimitExits() throws {
        let folder = try TemporaryFolder()
        try folder.shell("for i in $(seq 1 40); do mkdir d$i; echo x > d$i/f.md; done")
        let output = try withWatchLimit(10, ["watch", folder.path, "--json", "--no-state"]).waitForExit()
        #expect(output.exitStatus == 69, "\(output.stderr)")
        #expect(output.stderr.contains { $0.contains("sysctl fs.inotify.max_user_watches=") }, "\(output.stderr)")
        #expect(output.stdout.isEmpty)
    }

    @Test("with --keep-going, the watch limit is a warning: the watched part works, the rest is left as it was")
    func watchLimitKeepsGoing() throws {
        let folder = try TemporaryFolder()
        let state = try TemporaryFolder()
        try folder.shell("for i in $(seq 1 40); do mkdir d$i; echo x > d$i/f.md; done")
        let arguments = ["watch", folder.path, "--json", "--state", state.path + "/s.db"]
        // Recorded without a limit first: a second run that could not see them must not delete them.
        let first = try RunningCommand.watching(folder, ["--state", state.path + "/s.db"])
        _ = first.stopCleanly()

        let command = try withWatchLimit(10, arguments + ["--keep-going"])
        try #require(command.waitUntilReady(), "\(command.snapshot.stderr)")
        #expect(command.snapshot.stderr.contains { $0.contains("going on without watching") && $0.contains("max_user_watches") }, "\(command.snapshot.stderr)")
        // The top folder is always watched first.
        try folder.shell("echo new > top.md")
        command.wait { $0.summary.contains("post_save top.md created:true") }
        let output = command.stopCleanly()
        #expect(output.summary == ["pre_save top.md", "post_save top.md created:true"], "nothing deleted for the folders left out")
    }

    @Test("a watched folder renamed away and back: its instances are deleted, then found again as created")
    func folderRenamedAwayAndBack() throws {
        let parent = try TemporaryFolder()
        try parent.shell("mkdir notes && echo a > notes/a.md")
        let command = try RunningCommand(["watch", parent.path + "/notes", "--json", "--no-state"])
        try #require(command.waitUntilReady())
        try parent.shell("mv notes elsewhere")
        command.wait { $0.summary.contains("post_delete a.md") }
        // Written while away: not ours to report until it is back.
        try parent.shell("echo more >> elsewhere/a.md && mv elsewhere notes")
        command.wait { $0.summary.contains("post_save a.md created:true") }
        let output = command.stopCleanly()
        #expect(output.summary == ["pre_delete a.md", "post_delete a.md", "pre_save a.md", "post_save a.md created:true"])
        #expect(output.stderr.contains { $0.contains("is gone") } && output.stderr.contains { $0.contains("is back") }, "\(output.stderr)")
    }

    @Test("a watched folder replaced by a file: its instances are deleted, and once it is a folder again it is watched")
    func folderReplacedByFile() throws {
        let parent = try TemporaryFolder()
        try parent.shell("mkdir notes && echo a > notes/a.md")
        let notes = parent.path + "/notes"
        let command = try RunningCommand(["watch", notes, "--json", "--no-state"])
        try #require(command.waitUntilReady())
        try parent.shell("rm -r notes && echo 'not a folder' > notes")
        command.wait { $0.summary.contains("post_delete a.md") }
        #expect(command.snapshot.stderr.contains { $0.contains("is gone") }, "\(command.snapshot.stderr)")
        try parent.shell("rm notes && mkdir notes && echo b > notes/b.md")
        command.wait { $0.summary.contains("post_save b.md created:true") }
        let output = command.stopCleanly()
        #expect(output.summary == ["pre_delete a.md", "post_delete a.md", "pre_save b.md", "post_save b.md created:true"])
        #expect(output.stderr.contains { $0.contains("is back") }, "\(output.stderr)")
    }

    @Test("the disk full while the state is written: the bridge says so and goes on, the last committed state survives, and a scan finds the rest")
    func diskFull() async throws {
        let folder = try TemporaryFolder()
        let scratch = try TemporaryFolder()
        let count = 2000
        // In a mount namespace of its own, the state lives on a 1 MB tmpfs that a filler has nearly used up.
        // After the watcher stops, the tmpfs is made larger, `log` prints what was committed, and `scan`
        // catches up with the rest.
        let script = """
            mount -t tmpfs -o size=1m tmpfs "$3" && head -c 700k /dev/zero > "$3/filler" || exit 9
            "$0" watch "$1" --json --state "$3/s.db" > "$2/watch.jsonl" 2> "$2/watch.err" &
            echo $! > "$2/pid"
            wait $!
            echo $? > "$2/watch.status"
            rm "$3/filler" && mount -o remount,size=64m "$3" || exit 9
            "$0" log "$1" --state "$3/s.db" > "$2/log.jsonl" || exit 10
            exec "$0" scan "$1" --json --state "$3/s.db"
            """
        let stateFolder = try TemporaryFolder()
        let command = try RunningCommand(
            ["-Urm", "/bin/sh", "-c", script, BuiltBinary.url.path, folder.path, scratch.path, stateFolder.path],
            executable: URL(fileURLWithPath: "/usr/bin/unshare"))
        func text(_ name: String) -> String { (try? String(contentsOfFile: scratch.path + "/" + name, encoding: .utf8)) ?? "" }
        try #require(poll(upTo: 20) { text("watch.err").contains("ready") }, "\(command.snapshot.stderr) \(text("watch.err"))")
        // A few files first, committed while there is room; then a burst that the full disk refuses (in how
        // many transactions a burst is recorded is the bridge's business: a large one may be refused whole).
        try folder.shell("python3 -c \"[open(f'f{i}.md','w').write('x') for i in range(20)]\"")
        await command.waitAsync(upTo: .seconds(60)) { _ in text("watch.jsonl").split(separator: "\n").count >= 2 * 20 }
        try folder.shell("python3 -c \"[open(f'f{i}.md','w').write('x') for i in range(20, \(count))]\"")
        await command.waitAsync(upTo: .seconds(120)) { _ in text("watch.jsonl").split(separator: "\n").count >= 2 * count }
        kill(pid_t(text("pid").trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1, SIGTERM)
        let scan = await command.waitForExitAsync(upTo: .seconds(120))
        #expect(scan.exitStatus == 0, "\(scan.stderr)")

        #expect(text("watch.status").hasPrefix("0"), "the watcher stops cleanly: \(text("watch.err"))")
        #expect(text("watch.err").contains("state not saved, the last saved state stays"), "\(text("watch.err"))")
        func saves(_ lines: [String]) -> Set<String> {
            Set(lines.compactMap(SignalLine.init).filter { $0.signal == "post_save" }.compactMap(\.instance))
        }
        let everyFile = Set((0..<count).map { "f\($0).md" })
        #expect(saves(text("watch.jsonl").split(separator: "\n").map(String.init)) == everyFile, "reported while the disk was full")
        // What was committed reads back, and with what the scan found, it is every file.
        let committed = saves(text("log.jsonl").split(separator: "\n").map(String.init))
        let caughtUp = saves(scan.stdout)
        #expect(!committed.isEmpty && committed.count < count, "\(committed.count) committed")
        #expect(committed.union(caughtUp) == everyFile)
    }

    @Test("a state folder the watcher cannot write: exit 73 before watching, with what to do about it")
    func stateFolderNotWritable() throws {
        let user = try Unprivileged()
        let folder = try TemporaryFolder()
        let state = try TemporaryFolder()   // owned by the tests' user, not writable by the watcher's
        try folder.shell("chmod 755 . && echo a > a.md")
        try state.shell(Unprivileged.isRoot ? "chmod 755 ." : "chmod 555 .")
        defer { try? state.shell("chmod 755 .") }
        for statePath in [state.path + "/s.db", state.path + "/sub/s.db"] {
            let output = try user.command(["watch", folder.path, "--json", "--state", statePath]).waitForExit()
            #expect(output.exitStatus == 73, "\(output.stderr)")
            #expect(output.stderr.contains { $0.contains(statePath) && $0.contains("--no-state") }, "\(output.stderr)")
            #expect(!output.stderr.contains { $0.contains("ready") })
            #expect(output.stdout.isEmpty)
        }
    }

    @Test("a descriptor limit too low to start: exit 71 with the limit and what is needed, even for --version (the runtime used to trap)")
    func descriptorLimitTooLow() throws {
        let folder = try TemporaryFolder()
        for (limit, arguments) in [(4, "--version"), (4, "watch . --json"), (16, "watch . --json")] {
            let command = try RunningCommand(
                ["-c", "ulimit -n \(limit) && exec \"$0\" \(arguments)", BuiltBinary.url.path],
                executable: URL(fileURLWithPath: "/bin/sh"), in: folder.url)
            let output = command.waitForExit()
            #expect(output.exitStatus == 71, "\(limit) \(arguments): \(output.stderr)")
            #expect(output.stderr == ["filesignals: error: at most \(limit) files may be open at once (ulimit -n); filesignals needs 24 or more"])
            #expect(output.stdout.isEmpty)
        }
        let started = try RunningCommand(
            ["-c", "ulimit -n 24 && exec \"$0\" watch . --json --no-state", BuiltBinary.url.path],
            executable: URL(fileURLWithPath: "/bin/sh"), in: folder.url)
        #expect(started.waitUntilReady(), "\(started.snapshot.stderr)")
        _ = started.stopCleanly()
    }
}
