// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc
import Testing
import TestSupport

/// Faults in the world around a running watcher, made for real: permissions, the inotify watch limit
/// (lowered in a user namespace of its own, so nothing else on the machine is touched), a watched folder
/// that becomes a file.
@Suite("Faults in the world", .serialized, .timeLimit(.minutes(3)))
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
        first.send(SIGTERM)
        #expect(first.waitForExit().exitStatus == 0)

        // The secret folder can no longer be read (or watched) by the watcher's user.
        try folder.shell("chmod 000 secret")
        let second = try user.command(arguments)
        try #require(second.waitUntilReady(), "\(second.snapshot.stderr)")
        #expect(second.snapshot.stderr.contains { $0.contains("secret") && $0.contains("Permission denied") }, "\(second.snapshot.stderr)")
        try folder.shell("echo b >> open/a.md")
        second.wait { $0.summary.contains("post_save open/a.md created:false") }
        second.send(SIGTERM)
        let output = second.waitForExit()
        try folder.shell("chmod 755 secret")   // so that the folder can be removed
        #expect(output.exitStatus == 0)
        #expect(output.summary == ["pre_save open/a.md", "post_save open/a.md created:false"], "no delete for secret/s.md")
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
        first.send(SIGTERM)
        #expect(first.waitForExit().exitStatus == 0)

        let command = try withWatchLimit(10, arguments + ["--keep-going"])
        try #require(command.waitUntilReady(), "\(command.snapshot.stderr)")
        #expect(command.snapshot.stderr.contains { $0.contains("going on without watching") && $0.contains("max_user_watches") }, "\(command.snapshot.stderr)")
        // The top folder is always watched first.
        try folder.shell("echo new > top.md")
        command.wait { $0.summary.contains("post_save top.md created:true") }
        command.send(SIGTERM)
        let output = command.waitForExit()
        #expect(output.exitStatus == 0, "\(output.stderr)")
        #expect(output.summary == ["pre_save top.md", "post_save top.md created:true"], "nothing deleted for the folders left out")
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
        command.send(SIGTERM)
        let output = command.waitForExit()
        #expect(output.exitStatus == 0)
        #expect(output.summary == ["pre_delete a.md", "post_delete a.md", "pre_save b.md", "post_save b.md created:true"])
        #expect(output.stderr.contains { $0.contains("is back") }, "\(output.stderr)")
    }
}
