// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Testing
import TestSupport

/// A `mirror` or `log` that writes into a model it receives signals of would fire itself without end: `check`
/// (and so `watch`) refuses it at its line, unless the model leaves the target out.
@Suite("Handlers that write into their own model", .serialized, .ownThreads(timeLimit: .seconds(60)))
struct SelfFeedingTargetTests {
    private func check(_ config: String) throws -> RunningCommand.Output {
        let folder = try TemporaryFolder.project(config: config)
        return try RunningCommand(["check"], in: folder.url).waitForExit()
    }

    @Test("a mirror inside its model, and a log file that is an instance, are refused at their line",
          arguments: [("handler = mirror\nto = notes/copy", "to = notes/copy"), ("handler = log\nfile = notes/signals.jsonl", "file = notes/signals.jsonl")])
    func refused(_ handler: String, _ shown: String) throws {
        let output = try check("[model Note]\npath = notes\n[receiver copy]\nsignal = post_save post_delete\n\(handler)")
        #expect(output.exitStatus == 78, "\(output.stderr)")
        #expect(output.stderr.contains { $0.contains("filesignals.ini:6:") && $0.contains("`\(shown)` is inside model Note") }, "\(output.stderr)")
    }

    @Test("the same targets are accepted when the model leaves them out, or the receiver listens to another model")
    func acceptedWhenLeftOut() throws {
        let excluded = try check("[model Note]\npath = notes\nexclude = copy/\n[receiver copy]\nsignal = post_save\nhandler = mirror\nto = notes/copy")
        #expect(excluded.exitStatus == 0, "\(excluded.stderr)")
        let unmatched = try check("[model Note]\npath = notes\nmatch = *.md\n[receiver audit]\nsignal = post_save\nhandler = log\nfile = notes/signals.jsonl")
        #expect(unmatched.exitStatus == 0, "\(unmatched.stderr)")
        let other = try check("[model Note]\npath = notes\n[model Image]\npath = .\nmatch = *.png\n[receiver copy]\nsignal = post_save\nsender = Note\nhandler = mirror\nto = out")
        #expect(other.exitStatus == 0, "\(other.stderr)")
    }
}
