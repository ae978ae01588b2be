// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc
import Testing
import TestSupport

/// One save of an existing file, as a tool or an editor makes it: each must give exactly one `pre_save` and
/// one `post_save` with `created: false`, and never a delete, whatever temp, backup, lock or probe files it
/// writes on the way. The watcher runs with no --match, so that every such file could become an instance.
///
/// The styles are listed in `SaveStyles/save-styles.json`, which `bench/loaded.py` replays on a loaded machine.
struct SaveStyle: CustomTestStringConvertible, Sendable, Decodable {
    let name: String
    /// The program the style needs; the case is skipped when it is not installed.
    let tool: String
    /// Shell text run in the watched folder before watching starts (`f.md` holds "old" already).
    var setup: String?
    /// Shell text run in the watched folder while watching; `$OUT` is a folder outside the watched tree.
    let save: String
    /// The expected `changes`; nil means "includes content".
    var changes: [String]?

    var testDescription: String { name }
    var isAvailable: Bool { CommandLookup.find(tool) != nil }

    private struct List: Decodable { let styles: [SaveStyle] }

    static let all: [SaveStyle] = {
        let file = Repository.root.appendingPathComponent("Tests/FileSignalsCLITests/SaveStyles/save-styles.json")
        do {
            return try JSONDecoder().decode(List.self, from: Data(contentsOf: file)).styles
        } catch {
            fatalError("\(file.path) cannot be read: \(error)")
        }
    }()
}

@Suite("One save, one post_save", .serialized, .ownThreads(timeLimit: .seconds(180)))
struct SaveStyleTests {
    // A style whose tool is not installed is not run, and says so: a known issue naming the tool it needs
    // (the run's summary counts it) rather than a case that silently passes. The replayed ones need only python3.
    @Test("each save style gives exactly pre_save and post_save created:false", arguments: SaveStyle.all)
    func saveStyle(_ style: SaveStyle) throws {
        guard style.isAvailable else {
            withKnownIssue("skipped: \(style.tool) is not installed") { Issue.record("\(style.name) was not run") }
            return
        }
        let folder = try TemporaryFolder()
        let outside = try TemporaryFolder()
        try folder.shell("printf 'old\\n' > f.md && touch -d '2020-01-01 00:00' f.md")
        if let setup = style.setup { try folder.shell(setup) }
        let command = try RunningCommand(["watch", folder.path, "--json", "--no-state"])
        try #require(command.waitUntilReady(), "\(command.snapshot.stderr)")

        try folder.shell("OUT='\(outside.path)'; " + style.save)
        command.wait { $0.signals.contains { $0.signal == "post_save" } }
        command.send(SIGTERM)   // decides whatever is still settling, so that a late extra signal would show
        let output = command.waitForExit()

        #expect(output.exitStatus == 0)
        #expect(output.summary == ["pre_save f.md", "post_save f.md created:false"], "\(output.stdout)")
        let changes = output.signals.last?.object["changes"] as? [String]
        if let expected = style.changes {
            #expect(changes == expected)
        } else {
            #expect(changes?.contains("content") == true, "\(changes ?? [])")
        }
    }
}
