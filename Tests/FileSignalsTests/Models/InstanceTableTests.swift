// SPDX-License-Identifier: GPL-2.0-or-later
@testable import FileSignals
import Testing
import TestSupport

/// The compact instance table checked against a plain dictionary doing the same operations: whatever the
/// layout does underneath (rows reused, text compacted, index grown), what it answers must be the same.
@Suite("Instance table", .ownThreads())
struct InstanceTableTests {
    private func state(_ number: Int) -> InstanceState {
        InstanceState(inode: UInt64(number), size: Int64(number % 97), mode: 0o100644, owner: 1000, mtimeNanoseconds: Int64(number) * 1_000)
    }

    private func digest(_ number: Int) -> [UInt8] { (0..<32).map { UInt8(truncatingIfNeeded: number &+ $0) } }

    /// Long enough that the removals of the first test leave megabytes of dead text: the table compacts it.
    private func path(_ number: Int) -> RawPath {
        RawPath("/srv/site/a-folder-with-a-long-name/another-one-below-it/d\(number % 37)/file-\(number).md")
    }

    private func record(_ number: Int, sender: String = "Note", hashed: Bool = true, instance: RawPath? = nil) -> InstanceRecord {
        InstanceRecord(
            sender: sender, instance: instance ?? RawPath("d\(number % 37)/file-\(number).md"), state: state(number),
            sha256: hashed ? digest(number) : nil)
    }

    private func expectSame(_ table: InstanceTable, _ reference: [RawPath: InstanceRecord]) {
        #expect(table.count == reference.count)
        #expect(Set(table.paths) == Set(reference.keys))
        for (path, record) in reference {
            #expect(table[path] == record)
        }
    }

    @Test("60,000 inserts, updates and removals answer as a dictionary does, through growth, reuse and compaction")
    func matchesDictionary() {
        var table = InstanceTable()
        var reference: [RawPath: InstanceRecord] = [:]
        var generator = SystemRandomNumberGenerator()
        for step in 0..<60_000 {
            let number = Int.random(in: 0..<6_000, using: &generator)
            switch step % 5 {
            case 0, 1, 2:
                let value = record(number, sender: step % 2 == 0 ? "Note" : "Page", hashed: step % 3 != 0)
                table[path(number)] = value
                reference[path(number)] = value
            default:
                table[path(number)] = nil
                reference[path(number)] = nil
            }
        }
        expectSame(table, reference)
        #expect(table[path(999_999)] == nil)
        #expect(!table.contains(path(999_999)))
    }

    @Test("an instance name that is not the end of its path is kept as it is")
    func nameOutsidePath() {
        var table = InstanceTable()
        let odd = record(1, instance: RawPath("elsewhere/name.md"))
        table[path(1)] = odd
        table[path(2)] = record(2, instance: RawPath(""))
        #expect(table[path(1)]?.instance == RawPath("elsewhere/name.md"))
        #expect(table[path(2)]?.instance == RawPath(""))
        table[path(1)] = record(1)
        #expect(table[path(1)] == record(1))
    }

    @Test("paths under a folder: at any depth, never the folder itself or a sibling that shares its prefix")
    func pathsUnder() {
        var table = InstanceTable()
        for name in ["/a/x.md", "/a/b/y.md", "/ab/z.md", "/a"] {
            table[RawPath(name)] = record(name.count, instance: RawPath(name))
        }
        #expect(Set(table.paths(under: RawPath("/a"))) == [RawPath("/a/x.md"), RawPath("/a/b/y.md")])
        #expect(Set(table.paths(under: RawPath("/a/"))) == [RawPath("/a/x.md"), RawPath("/a/b/y.md")])
        #expect(Set(table.paths(under: RawPath("/a/b"))) == [RawPath("/a/b/y.md")])
        #expect(Set(table.paths(under: RawPath("/"))) == Set(table.paths))
        #expect(table.paths(under: RawPath("/nowhere")).isEmpty)
    }

    @Test("the common folder of several folders, and a folder's root without its instance prefix")
    func commonFolder() {
        #expect(RawPath.commonAncestor(of: [RawPath("/w/a"), RawPath("/w/b/c")]) == RawPath("/w"))
        #expect(RawPath.commonAncestor(of: [RawPath("/w/ab"), RawPath("/w/a")]) == RawPath("/w"), "by component, not by byte")
        #expect(RawPath.commonAncestor(of: [RawPath("/x"), RawPath("/y")]) == RawPath("/"))
        #expect(RawPath.commonAncestor(of: [RawPath("/w/a"), RawPath("/w/a/b")]) == RawPath("/w/a"))
        #expect(Model.Folder(path: RawPath("/w/b/c"), instancePrefix: RawPath("b/c")).root == RawPath("/w"))
        #expect(Model.Folder(path: RawPath("/x"), instancePrefix: RawPath("x")).root == RawPath("/"))
        #expect(Model.Folder(path: RawPath("/w")).root == RawPath("/w"))
    }

    @Test("digests computed later: each path given out once, recorded only for the state it was read in")
    func undigested() {
        var table = InstanceTable()
        for number in 0..<3_000 { table[path(number)] = record(number, hashed: number % 2 == 0) }
        var given: [RawPath] = []
        while case let batch = table.takeUndigested(limit: 256), !batch.isEmpty { given += batch }
        #expect(Set(given) == Set((0..<3_000).filter { $0 % 2 == 1 }.map(path)))
        #expect(given.count == 1_500)
        let recorded = table.recordDigest(digest(1), for: path(1), ifStateIs: state(1))
        #expect(recorded)
        #expect(table[path(1)]?.sha256 == digest(1))
        let recordedStale = table.recordDigest(digest(3), for: path(3), ifStateIs: state(4))
        #expect(!recordedStale, "the file changed since it was read")
        #expect(table[path(3)]?.sha256 == nil)
        // Set again without a digest: given out again.
        table[path(5)] = record(5, hashed: false)
        let again = table.takeUndigested(limit: 10_000)
        #expect(again.contains(path(5)))
    }

    @Test("marks: what a scan did not see")
    func marks() {
        var table = InstanceTable()
        for number in 0..<100 { table[path(number)] = record(number) }
        for number in 0..<100 where number % 10 != 0 { table.mark(path(number)) }
        table[path(5)] = record(5, hashed: false)   // updated after the scan saw it: still seen
        #expect(Set(table.unmarkedPaths()) == Set(stride(from: 0, to: 100, by: 10).map(path)))
        table.clearMarks()
        #expect(table.unmarkedPaths().count == 100)
    }
}
