// SPDX-License-Identifier: GPL-2.0-or-later
import FileSignals
import Foundation

/// Runs `body` `rounds` times and prints the time per operation (`operations` per round), best of 5.
func measure(_ name: String, operations: Int, rounds: Int = 1, _ body: () -> Void) {
    var best = Duration.seconds(1_000_000)
    for _ in 0..<5 {
        let started = ContinuousClock.now
        for _ in 0..<rounds { body() }
        best = min(best, ContinuousClock.now - started)
    }
    let perOperation = Double(best.components.attoseconds) / 1e9 / Double(operations * rounds) + Double(best.components.seconds) * 1e9 / Double(operations * rounds)
    print(name.padding(toLength: 48, withPad: " ", startingAt: 0), String(format: "%9.1f ns/op", perOperation))
}

// Glob matching: the default ignore list and a match pattern against typical names.
let names = (0..<10_000).map { RawPath("notes/sub\($0 % 50)/file\($0).md") }
let ignores = ExclusionList.defaultIgnores
let markdown = try GlobPattern("*.md")
let anchored = try GlobPattern("notes/**/file1*.md")
measure("glob: default ignores, excludesFile", operations: names.count) { for name in names { _ = ignores.excludesFile(name) } }
measure("glob: *.md", operations: names.count) { for name in names { _ = markdown.matches(name) } }
measure("glob: notes/**/file1*.md (backtracking)", operations: names.count) { for name in names { _ = anchored.matches(name) } }

// JSON encoding of a post_save.
var payload = SignalPayload(
    seq: 17, time: .now(), signal: "post_save", sender: "Article", instance: RawPath("content/articles/hello.md"),
    path: RawPath("/srv/site/content/articles/hello.md"), created: false, source: .live,
    state: InstanceState(inode: 528_391, size: 1234, mode: 0o100644, owner: 1000, mtimeNanoseconds: 1_764_048_601_101_000_000))
payload.changes = [.content, .mtime]
payload.sha256 = Array(repeating: 0xAB, count: 32)
measure("json: post_save line", operations: 10_000) { for _ in 0..<10_000 { _ = payload.jsonLine() } }

// The reconciler on a recorded stream: CREATE, MODIFY, CLOSE_WRITE for 10,000 real files, then the flush.
let folder = NSTemporaryDirectory() + "/filesignals-micro-\(getpid())"
try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: folder) }
let files = (0..<10_000).map { RawPath(folder + "/f\($0).md") }
for file in files { FileManager.default.createFile(atPath: file.description, contents: Data("x".utf8)) }
let model = Model(name: "File", folders: [Model.Folder(path: RawPath(folder))], match: [], exclusions: .defaultIgnores)
let stream: [WatcherEvent] = files.flatMap { file in
    [InotifyMask.create, .modify, .closeWrite].map { WatcherEvent.changed(path: file, mask: $0, cookie: 0) }
}
measure("reconciler: 3 events + decision per new file", operations: files.count) {
    var reconciler = Reconciler(models: [model])
    let start = ContinuousClock.now
    for event in stream { _ = reconciler.handle(event, now: start) }
    _ = reconciler.flushDue(now: start + .seconds(1))
}
