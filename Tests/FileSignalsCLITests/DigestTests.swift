// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc
import Testing
import TestSupport

/// Files' content is read for a digest only when something uses it (`digests = auto`), never above the size
/// limit, and not at all with `digests = no`. The built binary on real files; what it read is measured by the
/// kernel (`rchar` of `/proc/PID/io`: every byte its `read` calls returned).
@Suite("Content digests only when asked", .ownThreads(timeLimit: .seconds(120)))
struct DigestTests {
    /// `count` files of `size` random bytes each in `folder`.
    private func fill(_ folder: TemporaryFolder, count: Int, size: Int) throws {
        for index in 0..<count {
            var bytes = [UInt8](repeating: 0, count: size)
            for offset in stride(from: 0, to: size, by: 8) { bytes[offset] = UInt8.random(in: 0...255) }
            _ = FileManager.default.createFile(atPath: folder.path + "/f\(index).bin", contents: Data(bytes))
        }
    }

    /// Waits until `command` has printed `count` post_save lines.
    private func waitForSaves(_ count: Int, _ command: RunningCommand) -> Bool {
        command.wait { $0.signals.filter { $0.signal == "post_save" }.count >= count }.signals.filter { $0.signal == "post_save" }.count >= count
    }

    private func write(_ folder: TemporaryFolder, _ text: String) throws {
        try text.write(toFile: folder.path + "/filesignals.ini", atomically: true, encoding: .utf8)
    }

    /// Bytes the process has read so far.
    private func bytesRead(by command: RunningCommand) throws -> Int {
        let text = try String(contentsOfFile: "/proc/\(command.child.pid)/io", encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("rchar:") })
        return try #require(Int(line.dropFirst("rchar:".count).trimmingCharacters(in: .whitespaces)))
    }

    @Test("watch DIR -- PROGRAM reads no file's content: 16 MB of files, less than 1 MB read; with --json, all of it")
    func firstWalkReadsNoContent() throws {
        let folder = try TemporaryFolder()
        try fill(folder, count: 64, size: 256 * 1024)
        let outside = try TemporaryFolder()
        let quiet = try RunningCommand(["watch", folder.path, "--", "/bin/sh", "-c", "echo \"$1\" >> \"$0\"", outside.path + "/out", "{instance}"])
        try #require(quiet.waitUntilReady(), "\(quiet.snapshot.stderr)")
        // A save decided and run shows the bridge past its start (and its background work, if it had any).
        try folder.shell("echo saved > saved.md")
        #expect(poll(upTo: 30) { (try? String(contentsOfFile: outside.path + "/out", encoding: .utf8)) == "saved.md\n" })
        let quietBytes = try bytesRead(by: quiet)
        _ = quiet.stopCleanly()
        #expect(quietBytes < 1 << 20, "read \(quietBytes) bytes")

        // The same tree with JSON lines, which carry digests: every file is read (the measure sees reads).
        let json = try RunningCommand.watching(folder, ["--no-state"])
        let jsonBytes = try bytesRead(by: json)
        _ = json.stopCleanly()
        #expect(jsonBytes >= 16 << 20, "read \(jsonBytes) bytes")
    }

    @Test("a file above --digest-limit has no sha256 and its save lists content; one below has both")
    func sizeLimit() throws {
        let folder = try TemporaryFolder()
        let command = try RunningCommand.watching(folder, ["--no-state", "--digest-limit", "1k"])
        try folder.shell("head -c 4096 /dev/zero > big.bin; echo small > small.txt")
        #expect(waitForSaves(2, command))
        try folder.shell("head -c 4096 /dev/zero > big.bin; echo small > small.txt")
        #expect(waitForSaves(4, command))
        let signals = command.stopCleanly().signals.filter { $0.signal == "post_save" }
        let big = signals.filter { $0.instance == "big.bin" }
        let small = signals.filter { $0.instance == "small.txt" }
        try #require(big.count == 2 && small.count == 2, "\(signals)")
        #expect(big.allSatisfy { $0.object["sha256"] == nil })
        #expect(small.allSatisfy { $0.object["sha256"] is String })
        // The same bytes written again: the digest shows it for the small file; the big one cannot tell.
        #expect(small[1].object["changes"] as? [String] == ["mtime"])
        #expect(big[1].object["changes"] as? [String] == ["content", "mtime"])
    }

    @Test("--digests no: JSON lines have no sha256, and a save lists content whenever the size or mtime changed, not for a chmod")
    func digestsOff() throws {
        let folder = try TemporaryFolder()
        try folder.shell("echo a > a.txt")
        let command = try RunningCommand.watching(folder, ["--no-state", "--digests", "no"])
        try folder.shell("echo a > a.txt")
        #expect(waitForSaves(1, command))
        try folder.shell("chmod 600 a.txt")
        #expect(waitForSaves(2, command))
        let saves = command.stopCleanly().signals.filter { $0.signal == "post_save" }
        try #require(saves.count == 2, "\(saves)")
        #expect(saves.allSatisfy { $0.object["sha256"] == nil })
        #expect(saves[0].object["changes"] as? [String] == ["content", "mtime"])
        #expect(saves[1].object["changes"] as? [String] == ["mode"])
    }

    @Test("check says whether digests are read and why, and which receivers digests = no affects", arguments: [
        ("", "", "digests: off: nothing reads them"),
        ("digest_limit = 2M", "when = content-changed", "digests: on for files up to 2M: receiver build has when = content-changed"),
        ("digests = no", "when = content-changed", "  receiver build has when = content-changed: it runs for every save that changes a file's size or mtime"),
    ])
    func checkExplains(_ general: String, _ receiverKey: String, _ expected: String) throws {
        let folder = try TemporaryFolder()
        try write(folder, "[filesignals]\n\(general)\n[model Doc]\npath = .\nmatch = *.md\n[receiver build]\nsignal = post_save\ncommand = true\n\(receiverKey)\n")
        let output = try RunningCommand(["check"], in: folder.url).waitForExit()
        #expect(output.stdout.contains { $0.hasPrefix(expected) }, "\(output.stdout)")
    }
}
