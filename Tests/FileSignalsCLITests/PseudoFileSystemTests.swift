// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc
import Testing
import TestSupport

/// Folders whose files are not files: /proc, /sys and their kind are refused or left out with a warning,
/// other mounts are left out on request (-x), and a FIFO or device never holds the watcher up.
@Suite("Pseudo file systems and other mounts", .serialized, .ownThreads(timeLimit: .seconds(60)))
struct PseudoFileSystemTests {
    @Test("watching /proc or /sys is refused with the reason", arguments: ["/proc", "/sys/kernel"])
    func pseudoFolderRefused(_ folder: String) throws {
        let output = try RunningCommand(["watch", folder, "--no-state"]).waitForExit()
        #expect(output.exitStatus == 66, "\(output.stderr)")
        #expect(output.stderr.contains { $0.contains("pseudo file system") }, "\(output.stderr)")
    }

    /// Runs `filesignals watch FOLDER --json --no-state EXTRA...` in a mount namespace of its own, where
    /// `FOLDER/p` shows /proc and `FOLDER/other` is a tmpfs holding `f`.
    private func watchWithMounts(_ folder: TemporaryFolder, _ extra: [String]) throws -> RunningCommand {
        try folder.shell("mkdir -p p other && echo a > a")
        let script = """
            folder="$1"; shift
            mount --rbind /proc "$folder/p" && mount -t tmpfs t "$folder/other" && echo x > "$folder/other/f" || exit 9
            exec "$0" watch "$folder" --json --no-state "$@"
            """
        return try RunningCommand(
            ["-Urm", "/bin/sh", "-c", script, BuiltBinary.url.path, folder.path] + extra,
            executable: URL(fileURLWithPath: "/usr/bin/unshare"))
    }

    @Test("a /proc mounted inside the tree is left out with a warning; another file system is walked unless -x")
    func mountsInsideTheTree() throws {
        for extra in [[String](), ["--one-file-system"]] {
            let folder = try TemporaryFolder()
            let command = try watchWithMounts(folder, extra)
            try #require(command.waitUntilReady(), "\(command.snapshot.stderr)")
            #expect(command.snapshot.stderr.contains { $0.contains("not going into \(folder.path)/p") && $0.contains("proc") })
            let ready = try #require(command.snapshot.stderr.first { $0.hasSuffix("; ready") })
            // a, and other/f unless -x: nothing of /proc.
            #expect(ready.contains(extra.isEmpty ? "2 files" : "1 file"), "\(extra): \(ready)")
            command.send(SIGTERM)
            #expect(command.waitForExit().exitStatus == 0)
        }
    }

    @Test("a FIFO in the tree is never read: saves around it are reported")
    func fifoIsNotRead() throws {
        let folder = try TemporaryFolder()
        let command = try RunningCommand.watching(folder, ["--no-state"])
        try folder.shell("mkfifo pipe && echo a > after.md")
        command.wait { $0.signals.contains { $0.instance == "after.md" && $0.signal == "post_save" } }
        let output = command.stopCleanly()
        #expect(output.summary.contains("post_save after.md created:true"), "\(output.summary)")
        #expect(!output.summary.contains { $0.contains("pipe") }, "a FIFO is no instance: \(output.summary)")
    }
}
