// SPDX-License-Identifier: GPL-2.0-or-later
@testable import FileSignals
import Testing
import TestSupport

@Suite("Glob patterns", .ownThreads())
struct GlobPatternTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let pattern: String
        let path: String
        let matches: Bool
        var testDescription: String { "`\(pattern)` \(matches ? "matches" : "does not match") `\(path)`" }
    }

    static let cases: [Case] = [
        Case(pattern: "*.md", path: "a.md", matches: true),
        Case(pattern: "*.md", path: "notes/deep/a.md", matches: true),
        Case(pattern: "*.md", path: "a.markdown", matches: false),
        Case(pattern: "*.md", path: "a.md.swp", matches: false),
        Case(pattern: "*", path: "anything", matches: true),
        Case(pattern: "a?c", path: "abc", matches: true),
        Case(pattern: "a?c", path: "ac", matches: false),
        Case(pattern: "[abc].txt", path: "b.txt", matches: true),
        Case(pattern: "[abc].txt", path: "d.txt", matches: false),
        Case(pattern: "[a-c].txt", path: "c.txt", matches: true),
        Case(pattern: "[!a-c].txt", path: "c.txt", matches: false),
        Case(pattern: "[!a-c].txt", path: "z.txt", matches: true),
        Case(pattern: "\\*.md", path: "*.md", matches: true),
        Case(pattern: "\\*.md", path: "x.md", matches: false),
        Case(pattern: "notes/*.md", path: "notes/a.md", matches: true),
        Case(pattern: "notes/*.md", path: "notes/sub/a.md", matches: false),
        Case(pattern: "notes/*.md", path: "other/notes/a.md", matches: false),
        Case(pattern: "/a.md", path: "a.md", matches: true),
        Case(pattern: "/a.md", path: "sub/a.md", matches: false),
        Case(pattern: "drafts/**", path: "drafts/a.md", matches: true),
        Case(pattern: "drafts/**", path: "drafts/x/y/a.md", matches: true),
        Case(pattern: "drafts/**", path: "published/a.md", matches: false),
        Case(pattern: "**/b.md", path: "b.md", matches: true),
        Case(pattern: "**/b.md", path: "x/y/b.md", matches: true),
        Case(pattern: "a/**/b.md", path: "a/b.md", matches: true),
        Case(pattern: "a/**/b.md", path: "a/x/y/b.md", matches: true),
        Case(pattern: "a/**/b.md", path: "ab.md", matches: false),
        Case(pattern: "a/*/b", path: "a/x/y/b", matches: false),
        Case(pattern: ".#*", path: ".#a.md", matches: true),
        Case(pattern: "#*#", path: "dir/#a.md#", matches: true),
        Case(pattern: "*~", path: "a.md~", matches: true),
        Case(pattern: "*.md", path: "caf\u{E9}.md", matches: true),
    ]

    @Test("matching", arguments: cases)
    func matching(_ testCase: Case) throws {
        let pattern = try GlobPattern(testCase.pattern)
        #expect(pattern.matches(RawPath(testCase.path)) == testCase.matches)
    }

    @Test("a name that is not UTF-8 still matches by its bytes")
    func nonUTF8() throws {
        let path = RawPath(bytes: Array("caf".utf8) + [0xE9] + Array(".md".utf8))
        #expect(try GlobPattern("*.md").matches(path))
        #expect(try GlobPattern("caf?.md").matches(path))
    }

    @Test("bad patterns are refused with a reason", arguments: ["", "[abc", "abc\\"])
    func badPatterns(_ text: String) {
        #expect(throws: GlobPatternError.self) { try GlobPattern(text) }
    }
}
