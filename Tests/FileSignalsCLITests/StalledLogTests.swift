// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc
import Testing
import TestSupport

/// A reader of standard error that stops reading holds nothing up: the log is written by a thread of its own,
/// from a bounded queue, and lines that do not fit are dropped and counted. The built binary.
@Suite("A stalled reader of the log", .ownThreads(timeLimit: .seconds(180)))
struct StalledLogTests {
    @Test("stderr never read after `ready`, -v logging every event: 10,000 files still reach stdout and the receiver, and a stop is prompt")
    func stalledStandardError() throws {
        let folder = try TemporaryFolder()
        let outside = try TemporaryFolder()
        let lines = outside.path + "/lines.jsonl"
        let counts = outside.path + "/counts"
        let output = open(lines, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        defer { close(output) }
        let process = try ChildProcess(
            [BuiltBinary.url.path, "watch", folder.path, "--no-state", "--json", "-v", "--batch", "--", "/bin/sh", "-c", "wc -l >> \"$0\"", counts],
            environment: ProcessInfo.processInfo.environment.merging(["XDG_STATE_HOME": TestStateHome.path]) { $1 },
            stdout: .descriptor(output), stderr: .pipe)
        // Read stderr until the bridge is ready, then never again: the pipe (64 KiB) fills up with the log.
        var seen = ""
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !seen.contains("; ready") {
            let count = buffer.withUnsafeMutableBytes { read(process.standardError, $0.baseAddress, $0.count) }
            try #require(count > 0, "stderr ended before ready: \(seen)")
            seen += String(decoding: buffer[..<count], as: UTF8.self)
        }
        try folder.shell("for d in 1 2 3 4 5; do mkdir d$d; for i in $(seq 1 2000); do echo $i > d$d/f$i; done; done")
        func saves() -> Int {
            ((try? String(contentsOfFile: lines, encoding: .utf8)) ?? "").split(separator: "\n").filter { $0.contains("\"signal\":\"post_save\"") }.count
        }
        func served() -> Int {
            ((try? String(contentsOfFile: counts, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.reduce(0, +)
        }
        #expect(poll(upTo: 120) { saves() >= 10_000 }, "\(saves()) post_save lines")
        #expect(poll(upTo: 120) { served() >= 10_000 }, "the receiver was given \(served()) signals")
        let stopping = ContinuousClock.now
        process.kill(SIGTERM)
        let status = process.wait(upTo: .seconds(30))
        #expect(status == 0)
        #expect(ContinuousClock.now - stopping < .seconds(15), "the stop waited on the stalled log")
        #expect(saves() == 10_000 && served() == 10_000)
    }
}
