// SPDX-License-Identifier: GPL-2.0-or-later
@testable import FileSignals
import Foundation
import Glibc
import Testing
import TestSupport

/// The bridge's side of the state database, on a real SQLite database: the first walk's table, written on
/// the database's queue while the walk goes on.
@Suite("The bridge's journal: a first walk written in the background", .ownThreads(timeLimit: .seconds(60)))
struct JournalTests {
    let folder: TemporaryFolder
    let path: String

    init() throws {
        folder = try TemporaryFolder()
        path = folder.path + "/s.db"
    }

    /// 100 new instances, `part` of a walk.
    private func rows(_ part: Int) -> [InstanceTableChange] {
        (0..<100).map { index in
            let name = RawPath("p\(part)/f\(index).md")
            let state = InstanceState(inode: UInt64(part * 100 + index), size: 1, mode: 0o100644, owner: 0, mtimeNanoseconds: 1)
            return .upsert(RawPath(folder.path).appending(name), InstanceRecord(sender: "Notes", instance: name, state: state))
        }
    }

    @Test("every batch written: the walk is complete once its last batch is in, with every row")
    func complete() throws {
        let store = try StateStore(path: path)
        let journal = Journal(store: store)
        for part in 0..<5 {
            #expect(journal.record([], tableChanges: rows(part), nextSeq: 1, duringFirstWalk: true) == nil)
        }
        #expect(journal.record([], tableChanges: [], nextSeq: 1, completesFirstWalk: true, duringFirstWalk: true) == nil)
        let contents = try store.load()
        let (hasState, rowCount) = (contents.hasState, contents.table.count)
        #expect(hasState)
        #expect(rowCount == 500)
    }

    @Test("a batch refused (the database held by another for longer than its busy timeout): the walk is not said complete, and the refusal is said")
    func refusedBatch() throws {
        let store = try StateStore(path: path)
        let journal = Journal(store: store)
        #expect(journal.record([], tableChanges: rows(0), nextSeq: 1, duringFirstWalk: true) == nil)
        // Another connection takes the write lock and keeps it until its stdin closes.
        let holder = try ChildProcess(
            ["python3", "-c", """
                import sqlite3, sys
                connection = sqlite3.connect(sys.argv[1], isolation_level=None)
                connection.execute('BEGIN IMMEDIATE')
                print('held', flush=True)
                sys.stdin.read()
                """, path],
            stdin: .pipe, stdout: .pipe)
        var said = [UInt8](repeating: 0, count: 16)
        #expect(read(holder.standardOutput, &said, said.count) > 0)
        #expect(journal.record([], tableChanges: rows(1), nextSeq: 1, duringFirstWalk: true) == nil, "returns at once")
        // Waits for the batch, which gives up once the busy timeout has passed.
        store.waitForBackgroundWrites()
        holder.closeStandardInput()
        #expect(holder.wait(upTo: .seconds(30)) == 0)

        // A batch written on the spot in between (a done mark makes one) does not take the refusal away.
        journal.completion.expect(7, deliveries: ["receiver"])
        journal.completion.delivered(7, to: "receiver")
        #expect(journal.record([], tableChanges: [], nextSeq: 1, duringFirstWalk: true) == nil)
        let refusal = journal.record([], tableChanges: rows(2), nextSeq: 1, completesFirstWalk: true, duringFirstWalk: true)
        #expect(refusal != nil)
        let contents = try store.load()
        let (hasState, rowCount) = (contents.hasState, contents.table.count)
        #expect(!hasState, "a table without part 1 is no whole picture of the disk")
        #expect(rowCount == 200)
    }
}
