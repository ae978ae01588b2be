// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc
import Testing
import TestSupport

/// The filters of examples/jq.md, run by jq over a real watcher's output.
@Suite("jq pipelines of examples/jq.md", .serialized, .ownThreads(timeLimit: .seconds(60)))
struct JQPipelineTests {
    struct Pipeline: Sendable, CustomTestStringConvertible {
        let filter: [String]
        let expected: [String]
        var testDescription: String { filter.joined(separator: " ") }
    }

    static let pipelines = [
        Pipeline(filter: ["-r", #"select(.signal == "post_save" and .created) | .path"#], expected: ["ROOT/notes/a.md", "ROOT/notes/b.md", "ROOT/notes/c.md"]),
        Pipeline(filter: ["-s", "-c", "group_by(.sender) | map({sender: .[0].sender, signals: length})"], expected: []),
        Pipeline(filter: ["-r", #"select(.type == "result") | "\(.ms) \(.receiver) \(.instance)""#], expected: []),
        Pipeline(filter: ["-r", #"select(.signal == "post_delete") | "\(.instance) -> \(.moved_to // "gone")""#], expected: ["notes/b.md -> notes/c.md", "notes/a.md -> gone"]),
        Pipeline(filter: ["-c", #"select(.signal == "post_save" and (.changes | index("content"))) | {instance, size}"#], expected: [
            #"{"instance":"notes/a.md","size":2}"#, #"{"instance":"notes/b.md","size":2}"#, #"{"instance":"notes/c.md","size":2}"#,
        ]),
    ]

    /// The JSON lines of a real run: a.md and b.md created, b.md renamed to c.md, a.md removed.
    private func recordedLines() throws -> (lines: String, root: String) {
        let folder = try TemporaryFolder()
        try folder.shell("mkdir notes && printf '[model Note]\\npath = notes\\n[receiver noop]\\nsignal = post_save\\ncommand = true\\n' > filesignals.ini && chmod 644 filesignals.ini")
        let command = try RunningCommand(["watch", "--json", "--results", "--no-state"], in: folder.url)
        try #require(command.waitUntilReady())
        try folder.shell("echo a > notes/a.md && echo b > notes/b.md")
        command.wait { $0.stdout.filter { $0.contains(#""type":"result""#) }.count >= 2 }
        try folder.shell("mv notes/b.md notes/c.md")
        command.wait { $0.stdout.filter { $0.contains(#""type":"result""#) }.count >= 3 }
        try folder.shell("rm notes/a.md")
        command.wait { $0.stdout.contains { $0.contains(#""post_delete","sender":"Note","instance":"notes/a.md""#) } }
        command.send(SIGTERM)
        return (command.waitForExit().stdout.joined(separator: "\n") + "\n", folder.path)
    }

    @Test("every filter is in examples/jq.md as written here")
    func documented() throws {
        let page = try String(contentsOf: Repository.examples.appendingPathComponent("jq.md"), encoding: .utf8)
        for pipeline in Self.pipelines {
            #expect(page.contains("'" + pipeline.filter.last! + "'"), "\(pipeline.filter.last!) is not in jq.md")
        }
    }

    @Test("each filter gives what it promises on a real run")
    func filters() throws {
        let jq = try #require(CommandLookup.find("jq"), "jq is needed for the jq examples")
        let (lines, root) = try recordedLines()
        let input = try TemporaryFolder()
        try lines.write(toFile: input.path + "/signals.jsonl", atomically: true, encoding: .utf8)
        // What `filesignals log` prints: the signal lines only.
        let journal = lines.split(separator: "\n").filter { $0.hasPrefix(#"{"type":"signal""#) }.joined(separator: "\n") + "\n"
        try journal.write(toFile: input.path + "/journal.jsonl", atomically: true, encoding: .utf8)
        func run(_ filter: [String], file: String = "signals.jsonl") throws -> [String] {
            let output = try RunningCommand(filter + [input.path + "/" + file], executable: jq).waitForExit()
            #expect(output.exitStatus == 0, "\(output.stderr)")
            return output.stdout.map { $0.replacing(root, with: "ROOT") }
        }
        #expect(try run(Self.pipelines[0].filter) == Self.pipelines[0].expected)
        #expect(try run(Self.pipelines[1].filter, file: "journal.jsonl") == [#"[{"sender":"Note","signals":10}]"#])
        let results = try run(Self.pipelines[2].filter)
        #expect(results.count == 3 && results.allSatisfy { $0.split(separator: " ").dropFirst().first == "noop" }, "\(results)")
        #expect(try run(Self.pipelines[3].filter) == Self.pipelines[3].expected)
        #expect(try run(Self.pipelines[4].filter) == Self.pipelines[4].expected)
    }
}
