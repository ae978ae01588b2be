// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc
import Testing
import TestSupport

/// Small holes found by an adversarial pass: a NUL that `check` shows and the run cuts, a program looked up
/// on the wrong PATH, a rename whose old or new name is not UTF-8.
@Suite("Small holes", .serialized, .ownThreads(timeLimit: .seconds(60)))
struct SmallHolesTests {
    @Test("a NUL in a config value is an error at its line and column")
    func nulInAValue() throws {
        let folder = try TemporaryFolder()
        try folder.shell("mkdir notes && printf '[model Note]\\npath = notes\\n[receiver r]\\nsignal = post_save\\ncommand = echo safe\\000; rm -rf x\\n' > filesignals.ini && chmod 644 filesignals.ini")
        let output = try RunningCommand(["check"], in: folder.url).waitForExit()
        #expect(output.exitStatus == 78, "\(output.stderr)")
        #expect(output.stderr.contains { $0.contains("filesignals.ini:5:20:") && $0.contains("NUL") }, "\(output.stderr)")
    }

    @Test("exec finds its program on the PATH the receiver's env gives it")
    func execUsesTheReceiversPath() throws {
        let folder = try TemporaryFolder()
        try folder.shell("""
            mkdir notes bin && printf '#!/bin/sh\\necho "$1" > ran.txt\\n' > bin/only-here && chmod 755 bin/only-here
            printf '[model Note]\\npath = notes\\n[signal poke]\\n[receiver r]\\nsignal = poke\\nexec = only-here {instance}\\nenv = PATH=\(folder.path)/bin:/usr/bin:/bin\\n' > filesignals.ini
            chmod 644 filesignals.ini && echo a > notes/a
            """)
        let output = try RunningCommand(["send", "poke", "notes/a"], in: folder.url).waitForExit()
        #expect(output.exitStatus == 0, "\(output.stdout) \(output.stderr)")
        #expect((try? String(contentsOfFile: folder.path + "/ran.txt", encoding: .utf8)) == "notes/a\n")
    }

    @Test("stdout and stderr redirected into the watched folder are not instances: no signal about them, no loop")
    func ownOutputInTheTree() throws {
        let folder = try TemporaryFolder()
        let command = try RunningCommand(
            ["-c", "exec \"$0\" watch . --json --no-state > out.json 2> log.txt", BuiltBinary.url.path],
            executable: URL(fileURLWithPath: "/bin/sh"), in: folder.url)
        #expect(poll(upTo: 30) { (try? String(contentsOfFile: folder.path + "/log.txt", encoding: .utf8))?.contains("ready") == true })
        try folder.shell("echo a > a.md")
        let lines = { ((try? String(contentsOfFile: folder.path + "/out.json", encoding: .utf8)) ?? "").split(separator: "\n").compactMap { SignalLine(String($0)) } }
        #expect(poll(upTo: 30) { lines().contains { $0.signal == "post_save" && $0.instance == "a.md" } })
        // A save of each would have come within its settle window of the first lines written into them.
        try folder.shell("echo b > b.md")
        #expect(poll(upTo: 30) { lines().contains { $0.signal == "post_save" && $0.instance == "b.md" } })
        command.send(SIGTERM)
        #expect(command.waitForExit().exitStatus == 0)
        #expect(lines().map { "\($0.signal ?? "") \($0.instance ?? "")" } == ["pre_save a.md", "post_save a.md", "pre_save b.md", "post_save b.md"])
    }

    @Test("a rename from or to a name that is not UTF-8 carries the exact bytes in moved_from_b64 and moved_to_b64")
    func renameOfANameThatIsNotUTF8() throws {
        let folder = try TemporaryFolder()
        try folder.shell("printf x > \"$(printf 'old\\377')\"")
        let command = try RunningCommand.watching(folder, ["--no-state"])
        try folder.shell("mv \"$(printf 'old\\377')\" \"$(printf 'new\\376')\"")
        let output = command.wait { $0.signals.contains { $0.signal == "post_save" } }
        _ = command.stopCleanly()
        let save = try #require(output.signals.first { $0.signal == "post_save" })
        let delete = try #require(output.signals.first { $0.signal == "post_delete" })
        #expect(save.object["moved_from_b64"] as? String == Data([0x6F, 0x6C, 0x64, 0xFF]).base64EncodedString(), "\(save)")
        #expect(delete.object["moved_to_b64"] as? String == Data([0x6E, 0x65, 0x77, 0xFE]).base64EncodedString(), "\(delete)")
    }

    @Test("a folder whose name is not UTF-8 can be given on the command line")
    func folderNamedInBytes() throws {
        let folder = try TemporaryFolder()
        try folder.shell("mkdir \"$(printf 'dir\\377')\"")
        let command = try RunningCommand(
            ["-c", "exec \"$0\" watch \"$(printf 'dir\\377')\" --json --no-state", BuiltBinary.url.path],
            executable: URL(fileURLWithPath: "/bin/sh"), in: folder.url)
        try #require(command.waitUntilReady(), "\(command.snapshot.stderr)")
        try folder.shell("echo a > \"$(printf 'dir\\377')/a.md\"")
        let output = command.wait { $0.signals.contains { $0.signal == "post_save" } }
        command.send(SIGTERM)
        _ = command.waitForExit()
        #expect(output.summary.contains("post_save a.md created:true"), "\(output.summary) \(output.stderr)")
    }

    @Test("a state database deleted while watching is warned of")
    func stateDeletedWhileWatching() throws {
        let folder = try TemporaryFolder()
        let state = try TemporaryFolder()
        let command = try RunningCommand.watching(folder, ["--state", state.path + "/s.db"])
        try state.shell("rm s.db s.db-wal s.db-shm")
        try folder.shell("echo a > a.md")
        command.wait { output in
            output.stderr.contains { $0.contains("was deleted while filesignals ran") } && output.summary.contains("post_save a.md created:true")
        }
        let output = command.stopCleanly()
        #expect(output.stderr.contains { $0.contains("s.db was deleted while filesignals ran") }, "\(output.stderr)")
        #expect(output.summary.contains("post_save a.md created:true"), "signals go on: \(output.summary)")
    }

    @Test("two folders exchanged (renameat2 RENAME_EXCHANGE): later changes in each are reported under its new name")
    func foldersExchanged() throws {
        let folder = try TemporaryFolder()
        try folder.shell("mkdir a b && echo A > a/fa && echo B > b/fb")
        let command = try RunningCommand.watching(folder, ["--no-state"])
        try folder.shell("python3 -c 'import ctypes; ctypes.CDLL(None).renameat2(-100, b\"a\", -100, b\"b\", 2)'")
        command.wait { $0.summary.contains { $0.hasPrefix("post_save b/fa") } && $0.summary.contains { $0.hasPrefix("post_save a/fb") } }
        try folder.shell("echo new > b/in_b && echo more >> b/fa && echo new > a/in_a")
        command.wait { output in ["b/in_b", "a/in_a"].allSatisfy { name in output.summary.contains { $0.hasPrefix("post_save \(name)") } } }
        let output = command.stopCleanly()
        let saves = output.summary.filter { $0.hasPrefix("post_save") }
        #expect(saves.contains { $0.hasPrefix("post_save b/in_b") } && saves.contains { $0.hasPrefix("post_save a/in_a") }, "\(output.summary)")
        #expect(saves.filter { $0.hasPrefix("post_save b/fa") }.count == 2, "the exchange, then the append: \(output.summary)")
        #expect(!output.summary.contains { $0.contains("a/in_b") || $0.contains("b/in_a") }, "\(output.summary)")
    }
}

