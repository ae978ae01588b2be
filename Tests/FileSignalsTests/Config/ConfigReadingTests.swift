// SPDX-License-Identifier: GPL-2.0-or-later
@testable import FileSignals
import Foundation
import Testing
import TestSupport

@Suite("Reading filesignals.ini", .ownThreads())
struct ConfigReadingTests {
    let root: TemporaryFolder

    init() throws {
        root = try TemporaryFolder()
        try root.shell("mkdir -p content/articles static/img")
    }

    /// Every diagnostic of `text`, as `line:column: severity: message`, with the root folder written ROOT.
    private func diagnostics(of text: String) -> [String] {
        let (document, syntaxErrors) = IniReader.read(text, file: "t.ini")
        let found: [ConfigDiagnostic]
        do {
            found = try ProjectConfig.load(document, syntaxErrors: syntaxErrors, root: RawPath(root.path)).warnings
        } catch {
            found = error.diagnostics
        }
        return found.map { "\($0.position): \($0.severity.rawValue): \($0.message)".replacing(root.path, with: "ROOT") }
    }

    @Test("valid configs read without a diagnostic", arguments: ConfigCases.valid)
    func valid(_ testCase: ConfigCase) {
        #expect(diagnostics(of: testCase.text) == [])
    }

    @Test("broken configs give exactly these errors", arguments: ConfigCases.broken)
    func broken(_ testCase: ConfigCase) {
        #expect(diagnostics(of: testCase.text) == testCase.expected)
    }

    @Test("configs with warnings are used, and the warnings are given", arguments: ConfigCases.warnings)
    func warnings(_ testCase: ConfigCase) {
        #expect(diagnostics(of: testCase.text) == testCase.expected)
    }

    @Test("the spec's example gives the models, signals and receivers it declares")
    func specExample() throws {
        let text = try #require(ConfigCases.valid.first { $0.name == "the spec's example" }).text
        let (document, _) = IniReader.read(text, file: "t.ini")
        let config = try ProjectConfig.load(document, root: RawPath(root.path))
        #expect(config.general.settle == .milliseconds(50))
        #expect(config.general.jobs == 4)
        #expect(config.general.ignore == ["node_modules/", "build/"])
        #expect(config.models.map(\.name) == ["Article", "Image"])
        #expect(config.models[0].folders.map(\.instancePrefix) == [RawPath("content/articles")])
        #expect(config.models[0].match.map(\.text) == ["*.md", "*.markdown"])
        #expect(config.signals.map(\.name) == ["published"])
        #expect(config.receivers.map(\.name) == ["rebuild", "thumbs", "audit"])
        #expect(config.receivers[0].action == .command("make -C site"))
        #expect(config.receivers[0].timeout == .seconds(120))
        #expect(config.receivers[0].when == .contentChanged)
        #expect(config.receivers[1].action == .exec(["convert", "{path}", "-resize", "200x", "{path}.thumb"]))
        #expect(config.receivers[2].action == .handler(name: "log", options: ["file": "signals.jsonl"]))
        #expect(config.receivers[2].signals == ["post_save", "post_delete", "published"])
    }

    @Test("values: quotes, escapes, continuation lines and inline comments")
    func values() throws {
        let text = """
            [model "Blog Post"]
            path = content   # inline comment
            match = "with space.md" "quote\\"d.md" back\\\\slash.md
                *.txt ; another comment
            [receiver r]
            signal = post_save
            command = echo "a # b" ; a comment
            env = "A=x y" B=z
            """
        let (document, errors) = IniReader.read(text, file: "t.ini")
        #expect(errors.isEmpty)
        let config = try ProjectConfig.load(document, root: RawPath(root.path))
        #expect(config.models[0].name == "Blog Post")
        #expect(config.models[0].match.map(\.text) == ["with space.md", "quote\"d.md", "back\\\\slash.md", "*.txt"])
        #expect(config.receivers[0].action == .command("echo \"a # b\""))
        #expect(config.receivers[0].environment == [.init(name: "A", value: "x y"), .init(name: "B", value: "z")])
    }

    @Test("a config file writable by group or others is refused with the chmod that fixes it")
    func groupWritable() throws {
        try root.shell("printf '[model A]\\npath = content\\n' > filesignals.ini && chmod 664 filesignals.ini")
        #expect {
            try ProjectConfig.load(path: root.path + "/filesignals.ini", file: "filesignals.ini")
        } throws: { error in
            (error as? ConfigError)?.description == "filesignals.ini:1:1: error: the config runs commands and is writable by group or others; refusing it. Fix: chmod go-w filesignals.ini"
        }
        try root.shell("chmod 644 filesignals.ini")
        #expect(try ProjectConfig.load(path: root.path + "/filesignals.ini").models.count == 1)
    }

    @Test("a config file owned by another user is refused", .enabled(if: geteuid() == 0, "only root can give a file away"))
    func otherOwner() throws {
        try root.shell("printf '[model A]\\npath = content\\n' > filesignals.ini && chown 65534 filesignals.ini")
        #expect {
            try ProjectConfig.load(path: root.path + "/filesignals.ini", file: "filesignals.ini")
        } throws: { error in
            (error as? ConfigError)?.description.contains("owned by another user (uid 65534)") == true
        }
    }

    @Test("a file that is not UTF-8 is reported on its line")
    func notUTF8() throws {
        try root.shell("printf '[model A]\\npath = caf\\351\\n' > bad.ini")
        let (document, diagnostics) = IniReader.read(contentsOf: root.path + "/bad.ini", file: "bad.ini")
        #expect(document == nil)
        #expect(diagnostics.map(\.description) == ["bad.ini:2:1: error: this line is not valid UTF-8; save the file as UTF-8"])
    }
}
