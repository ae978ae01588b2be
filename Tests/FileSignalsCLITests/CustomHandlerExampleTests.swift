// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Testing
import TestSupport

/// `examples/custom-handler` is a package of its own that depends on this one by path: it is built here, as
/// a user would build it, and its handler is run.
@Suite("The custom-handler example", .serialized, .ownThreads(timeLimit: .seconds(900)))
struct CustomHandlerExampleTests {
    static let example = Repository.examples.appendingPathComponent("custom-handler")
    /// A build folder of its own (ignored by git like every `.build*`), so that this build does not wait
    /// for the lock of the one running the tests.
    static let scratch = Repository.root.appendingPathComponent(".build-example")

    @Test("it builds; its closures connected to Signal.postSave, Signal.postDelete and a custom Signal get the signals of watch and send; its own handler runs for send")
    func buildAndRun() async throws {
        let swift = try #require(CommandLookup.find("swift"))
        let build = try RunningCommand(
            ["build", "--package-path", Self.example.path, "--scratch-path", Self.scratch.path, "--product", "site-signals"],
            executable: swift)
        let built = await build.waitForExitAsync(upTo: .seconds(900))
        try #require(built.exitStatus == 0, "\(built.stdout.suffix(20)) \(built.stderr.suffix(20))")
        let program = Self.scratch.appendingPathComponent("debug/site-signals")

        let folder = try TemporaryFolder()
        try folder.shell("cp -R '\(Self.example.path)/notes' '\(Self.example.path)/filesignals.ini' . && chmod -R go-w .")
        // A config's receiver of the custom signal made in Swift: no [signal] section needed.
        try folder.shell("printf '\\n[receiver announce]\\nsignal = published\\ncommand = echo \"$FILESIGNALS_INSTANCE\" >> announced.txt\\n' >> filesignals.ini")
        let check = try RunningCommand(["check"], executable: program, in: folder.url).waitForExit()
        #expect(check.exitStatus == 0, "\(check.stderr)")
        #expect(check.stdout.contains { $0.hasPrefix("receiver forget-note: post_delete from Note") }, "\(check.stdout)")
        #expect(check.stdout.contains { $0.hasPrefix("  Swift closure connected at site_signals/main.swift:") }, "\(check.stdout)")
        let explain = try RunningCommand(["explain", "notes/hello.md", "--signal", "post_save"], executable: program, in: folder.url).waitForExit()
        #expect(explain.stdout.contains { $0.hasPrefix("  Swift closure connected at site_signals/main.swift:") }, "\(explain.stdout)")
        let send = try RunningCommand(["send", "post_save", "notes/hello.md"], executable: program, in: folder.url).waitForExit()
        #expect(send.exitStatus == 0, "\(send.stderr)")
        #expect(send.stdout.contains { $0.hasPrefix("count-words: post_save notes/hello.md: exited 0") }, "\(send.stdout)")
        #expect(send.stdout.contains("saved notes/hello.md"), "the closure connected to Signal.postSave runs for send: \(send.stdout)")
        #expect((try? String(contentsOfFile: folder.path + "/wordcounts.txt", encoding: .utf8)) == "notes/hello.md 3\n")

        // A custom signal made in Swift, with no [signal] section: `send` knows it and reaches its receiver.
        let custom = try RunningCommand(["send", "published", "notes/hello.md", "--arg", "by=ann"], executable: program, in: folder.url).waitForExit()
        #expect(custom.exitStatus == 0, "\(custom.stderr)")
        #expect(custom.stdout.contains("published notes/hello.md by ann"), "\(custom.stdout) \(custom.stderr)")
        #expect((try? String(contentsOfFile: folder.path + "/announced.txt", encoding: .utf8)) == "notes/hello.md\n")

        // `watch` calls the closures for a new file and its deletion.
        let watch = try RunningCommand(["watch"], executable: program, in: folder.url)
        defer { watch.send(SIGKILL) }
        #expect(watch.waitUntilReady(), "\(watch.snapshot.stderr)")
        try folder.shell("echo one two > notes/a.md")
        let saved = await watch.waitAsync(upTo: .seconds(30)) { $0.stdout.contains("saved notes/a.md (new)") }
        #expect(saved.stdout.contains("saved notes/a.md (new)"), "\(saved.stdout) \(saved.stderr)")
        try folder.shell("rm notes/a.md")
        let deleted = await watch.waitAsync(upTo: .seconds(30)) { $0.stdout.contains("deleted notes/a.md") }
        #expect(deleted.stdout.contains("deleted notes/a.md"), "\(deleted.stdout) \(deleted.stderr)")
        watch.send(SIGTERM)
        #expect(watch.waitForExit().exitStatus == 0)

        // The plain filesignals does not know the handler, and says which ones it knows.
        let plain = try RunningCommand(["check"], in: folder.url).waitForExit()
        #expect(plain.exitStatus == 78)
        #expect(plain.stderr.contains { $0.contains("unknown handler `wordcount`") })
    }
}
