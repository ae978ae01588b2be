// SPDX-License-Identifier: GPL-2.0-or-later
@testable import FileSignals
import Testing
import TestSupport

@Suite("Exclusion lists", .ownThreads())
struct ExclusionListTests {
    @Test("a pattern ending in / excludes folders and what is in them, not files of that name")
    func foldersOnly() throws {
        let list = try ExclusionList(patterns: ["build/"])
        #expect(list.excludesFolder(RawPath("build")))
        #expect(list.excludesFile(RawPath("build/out.md")))
        #expect(list.excludesFile(RawPath("src/build/out.md")))
        #expect(!list.excludesFile(RawPath("build")))
        #expect(!list.excludesFile(RawPath("builder/a.md")))
    }

    @Test("a file pattern excludes matching files at any depth")
    func filePattern() throws {
        let list = try ExclusionList(patterns: ["*.log"])
        #expect(list.excludesFile(RawPath("a.log")))
        #expect(list.excludesFile(RawPath("x/y/a.log")))
        #expect(!list.excludesFile(RawPath("a.md")))
    }

    @Test("the default ignores cover version control and editors' temporary files", arguments: [
        ".git/config", "sub/.hg/store", ".svn/x", ".filesignals/state.db", ".a.md.swp", ".a.md.swx", "a.md~",
        ".#a.md", "#a.md#", "4913", "sub/4913", "a.md___jb_tmp___", "a.md___jb_old___", ".a.md.tmp",
    ])
    func defaultIgnores(_ path: String) {
        #expect(ExclusionList.defaultIgnores.excludesFile(RawPath(path)))
    }

    @Test("the default ignores leave ordinary files alone", arguments: ["a.md", "git/a.md", "4913.md", "notes.tmp"])
    func defaultKeeps(_ path: String) {
        #expect(!ExclusionList.defaultIgnores.excludesFile(RawPath(path)))
    }

    @Test("adding lists keeps both")
    func adding() throws {
        let list = ExclusionList.defaultIgnores.adding(try ExclusionList(patterns: ["*.log"]))
        #expect(list.excludesFile(RawPath("a.log")))
        #expect(list.excludesFile(RawPath(".git/x")))
    }
}
