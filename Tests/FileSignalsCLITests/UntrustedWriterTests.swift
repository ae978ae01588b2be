// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc
import Testing
import TestSupport

/// A watcher run by root over a folder that an unprivileged user (`nobody`, through `setpriv`) can write into:
/// whatever that user does there (folders swapped for symbolic links, links planted where the bridge writes),
/// the bridge never reads, lists, hashes or copies anything outside the watched tree.
@Suite("An unprivileged user writing into a watched folder", .serialized, .ownThreads(timeLimit: .seconds(120)),
       .enabled(if: getuid() == 0, "needs root, to run a watcher as root and a writer as nobody"))
struct UntrustedWriterTests {
    /// A project owned by root (its config safe), whose `w/` belongs to `nobody`; `secret/` holds files that
    /// only root may read, outside the watched tree.
    private func project(_ config: String) throws -> TemporaryFolder {
        let folder = try TemporaryFolder()
        try folder.shell("""
            chmod 755 . && mkdir w secret && chown nobody w && chmod 700 secret
            for n in f secret-file-1 secret-file-2 secret-file-3; do echo "SECRET CONTENT" > secret/$n; done
            chmod 600 secret/*
            cat > filesignals.ini <<'EOF'
            \(config)
            EOF
            chmod 644 filesignals.ini
            """)
        return folder
    }

    /// Runs `script` with `/bin/sh` in `folder` as `nobody`.
    private func asNobody(_ script: String, in folder: String) throws {
        let child = try ChildProcess(
            ["/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "/bin/sh", "-c", script],
            in: folder, stdout: .null)
        #expect(child.wait(upTo: .seconds(60)) == 0, "as nobody: \(script)")
    }

    @Test("a folder replaced by a link to a secret folder: no signal carries the secret, the mirror never copies it")
    func folderSwappedForLink() throws {
        let folder = try project("""
            [model File]
            path = w
            [receiver copy]
            signal = post_save post_delete
            handler = mirror
            to = out
            """)
        try asNobody("mkdir d && echo pub > d/f", in: folder.path + "/w")
        let command = try RunningCommand(["watch", "--json", "--results", "--no-state"], in: folder.url)
        try #require(command.waitUntilReady(), "\(command.snapshot.stderr)")

        try asNobody("echo x >> d/f && mv d old && ln -s \(folder.path)/secret d", in: folder.path + "/w")
        // The rename is reported as a move of the instance; once its save is out, everything before it is too.
        command.wait { output in output.signals.contains { $0.signal == "post_save" && $0.instance == "w/old/f" } }
        let output = command.stopCleanly()
        let secretSize = "SECRET CONTENT\n".utf8.count
        let leaked = output.signals.filter { line in
            (line.instance?.hasPrefix("w/d/") == true && line.signal == "post_save")
                || line.text.contains("secret-file") || (line.object["size"] as? Int == secretSize)
        }
        #expect(leaked.isEmpty, "signals about the secret: \(leaked)")
        #expect(output.summary.contains("post_save w/old/f created:true"), "\(output.summary)")
        let mirrored = try? String(contentsOfFile: folder.path + "/out/w/d/f", encoding: .utf8)
        #expect(mirrored == nil || mirrored == "pub\nx\n", "the mirror copied \(mirrored ?? "")")
    }

    @Test("a folder exchanged with a link to a secret folder, again and again: nothing outside the tree is listed")
    func folderExchangedWithLinkInALoop() throws {
        let folder = try project("""
            [model File]
            path = w
            """)
        try asNobody("mkdir a && echo inside > a/inside && ln -s \(folder.path)/secret link", in: folder.path + "/w")
        let command = try RunningCommand(["watch", "--json", "--no-state"], in: folder.url)
        try #require(command.waitUntilReady(), "\(command.snapshot.stderr)")
        // RENAME_EXCHANGE swaps the folder and the link atomically, 3,000 times: each swap makes the watcher
        // watch and list a folder that, a moment later, is the link.
        let exchange = """
            import ctypes, os
            libc = ctypes.CDLL(None, use_errno=True)
            for _ in range(3000):
                if libc.renameat2(-100, b"a", -100, b"link", 2) != 0:
                    raise OSError(ctypes.get_errno(), "renameat2")
            """
        try asNobody("python3 -c '\(exchange)'", in: folder.path + "/w")
        try asNobody("echo done > marker", in: folder.path + "/w")
        command.wait { $0.signals.contains { $0.instance == "w/marker" && $0.signal == "post_save" } }
        let output = command.stopCleanly()
        let leaked = output.signals.filter { $0.text.contains("secret-file") }
        #expect(leaked.isEmpty, "listed outside the tree: \(leaked.prefix(5))")
        #expect(!output.stderr.contains { $0.contains("secret-file") })
    }

    @Test("state files through links planted by another user: refused, and the victim is untouched")
    func stateThroughPlantedLinks() throws {
        let folder = try project("""
            [model File]
            path = w
            """)
        try folder.shell("echo victim > victim && chmod 644 victim && mkdir shared && chown nobody shared")
        try asNobody("ln -s \(folder.path)/victim state.db.lock && ln -s \(folder.path) linked", in: folder.path + "/shared")
        for state in ["shared/state.db", "shared/linked/state.db"] {
            let run = try RunningCommand(["watch", "--json", "--state", state], in: folder.url).waitForExit()
            #expect(run.exitStatus == 73, "\(state): \(run.stderr)")
            #expect(run.stderr.contains { $0.contains("refusing the state database") }, "\(run.stderr)")
        }
        #expect((try? String(contentsOfFile: folder.path + "/victim", encoding: .utf8)) == "victim\n")
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/state.db"), "nothing was created through the link")
    }

    @Test("the state's files are the bridge user's alone, and one database has one watcher whatever name it is given")
    func stateFilesAndTheirLock() throws {
        let folder = try project("""
            [model File]
            path = w
            """)
        let first = try RunningCommand(["watch", "--json"], in: folder.url)
        try #require(first.waitUntilReady(), "\(first.snapshot.stderr)")
        try asNobody("echo a > a", in: folder.path + "/w")
        first.wait { $0.signals.contains { $0.signal == "post_save" } }
        let state = folder.path + "/.filesignals"
        for file in ["state.db", "state.db.lock", "state.db-wal", "state.db-shm"] {
            let mode = (try? FileManager.default.attributesOfItem(atPath: state + "/" + file)[.posixPermissions] as? Int) ?? -1
            #expect(mode == 0o600, "\(file) is \(String(mode, radix: 8))")
        }
        try folder.shell("ln .filesignals/state.db hard.db && ln -s .filesignals/state.db soft.db")
        for name in ["hard.db", "soft.db"] {
            let second = try RunningCommand(["watch", "--json", "--state", name], in: folder.url).waitForExit()
            #expect(second.exitStatus != 0 && second.stdout.isEmpty, "\(name): \(second.stderr)")
        }
        _ = first.stopCleanly()
    }

    @Test("a config in a folder another user can write: refused, even while they swap files under it")
    func configInAFolderOthersWrite() throws {
        let folder = try TemporaryFolder()
        try folder.shell("""
            chmod 755 . && mkdir cfg notes && chown nobody cfg && chmod 777 notes
            printf '[model Note]\\npath = ../notes\\n[receiver safe]\\nsignal = post_save\\ncommand = true\\n' > cfg/filesignals.ini
            chmod 644 cfg/filesignals.ini
            """)
        try asNobody("printf '[model Note]\\npath = ../notes\\n[receiver evil]\\nsignal = post_save\\ncommand = touch /tmp/pwned\\n' > evil.ini", in: folder.path + "/cfg")
        // The owner of the folder swaps the two files (RENAME_EXCHANGE) for as long as the checks run.
        let swapper = try ChildProcess(
            ["/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "python3", "-c", """
                import ctypes
                libc = ctypes.CDLL(None)
                while True: libc.renameat2(-100, b"filesignals.ini", -100, b"evil.ini", 2)
                """], in: folder.path + "/cfg", stdout: .null)
        defer { swapper.killGroup(SIGKILL); _ = swapper.wait(upTo: .seconds(5)) }
        var accepted = 0
        for _ in 0..<100 {
            let check = try RunningCommand(["check", "-c", folder.path + "/cfg/filesignals.ini"]).waitForExit()
            if check.exitStatus != 78 { accepted += 1 }
            #expect(check.stderr.contains { $0.contains("belongs to another user") } || check.exitStatus != 78, "\(check.stderr)")
        }
        #expect(accepted == 0, "the config was accepted \(accepted) times in 100")
    }

    @Test("a model folder reached through a link that another user planted is refused, in the config and on the command line")
    func modelPathThroughAPlantedLink() throws {
        let folder = try project("""
            [model Upload]
            path = w
            [model Image]
            path = w/x/sub
            """)
        try folder.shell("mkdir -p secret/sub && echo SECRET > secret/sub/inner.txt")
        try asNobody("ln -s \(folder.path)/secret x", in: folder.path + "/w")
        for command in [["check"], ["ls"], ["scan", "--json", "--initial", "--no-state"]] {
            let output = try RunningCommand(command, in: folder.url).waitForExit()
            #expect(output.exitStatus == 78, "\(command): \(output.stderr)")
            #expect(output.stderr.contains { $0.contains("goes through \(folder.path)/w/x, a symbolic link in \(folder.path)/w") }, "\(output.stderr)")
            #expect(!(output.stdout + output.stderr).joined().contains("inner.txt"), "\(output.stdout)")
        }
        let direct = try RunningCommand(["watch", folder.path + "/w/x/sub", "--json", "--no-state"]).waitForExit()
        #expect(direct.exitStatus == 66, "\(direct.stderr)")
        #expect(direct.stderr.contains { $0.contains("a symbolic link in") }, "\(direct.stderr)")
    }

    @Test("a config reached through another user's link in a sticky folder, or whose own folder is sticky, is refused")
    func configThroughStickyFolders() throws {
        let folder = try project("""
            [model Note]
            path = w
            """)
        try folder.shell("mkdir shared && chmod 1777 shared && mkdir sticky && chmod 1777 sticky && cp filesignals.ini sticky/ && mkdir sticky/w")
        try asNobody("ln -s \(folder.path)/filesignals.ini link.ini", in: folder.path + "/shared")
        let throughLink = try RunningCommand(["check", "-c", folder.path + "/shared/link.ini"]).waitForExit()
        #expect(throughLink.exitStatus == 78 && throughLink.stderr.contains { $0.contains("a symbolic link in") }, "\(throughLink.stderr)")
        let inSticky = try RunningCommand(["check", "-c", folder.path + "/sticky/filesignals.ini"]).waitForExit()
        #expect(inSticky.exitStatus == 78 && inSticky.stderr.contains { $0.contains("writable by group or others") }, "\(inSticky.stderr)")
    }

    @Test("a rollback journal another user planted beside the state, or a state folder below theirs, is refused")
    func plantedJournalAndForeignAncestor() throws {
        let folder = try project("""
            [model File]
            path = w
            """)
        try folder.shell("mkdir st && chmod 1777 st && mkdir nob && chown nobody nob && echo a > w/a")
        let state = folder.path + "/st/s.db"
        _ = try RunningCommand(["watch", "--json", "--state", state], in: folder.url).stopAfterReady()
        try asNobody("head -c 8192 /dev/zero > s.db-journal", in: folder.path + "/st")
        let planted = try RunningCommand(["watch", "--json", "--state", state], in: folder.url).waitForExit()
        #expect(planted.exitStatus == 73 && planted.stderr.contains { $0.contains("s.db-journal belongs to another user") }, "\(planted.stderr)")
        try asNobody("mkdir sub", in: folder.path + "/nob")
        try folder.shell("chown root nob/sub")
        let below = try RunningCommand(["watch", "--json", "--state", folder.path + "/nob/sub/s.db"], in: folder.url).waitForExit()
        #expect(below.exitStatus == 73 && below.stderr.contains { $0.contains("belongs to another user or can be written by others") }, "\(below.stderr)")
    }
}

