// SPDX-License-Identifier: GPL-2.0-or-later
@testable import FileSignals
import Foundation
import Glibc
import Testing
import TestSupport

/// Lines for a reader that stops reading: memory stays bounded, the spool keeps the rest, in order.
@Suite("Spooled output", .ownThreads(timeLimit: .seconds(60)))
struct SpooledLineOutputTests {
    @Test("a reader that reads nothing: writes never wait, the overflow goes to the spool, and then every line arrives in order")
    func stalledReader() throws {
        var ends: [Int32] = [-1, -1]
        try #require(pipe(&ends) == 0)
        defer { close(ends[0]) }
        let output = SpooledLineOutput(output: LineOutput(descriptor: ends[1]), memoryLimit: 64 * 1024)
        let lines = (0..<100_000).map { Array("line \($0) \(String(repeating: "x", count: 100))\n".utf8) }
        // Nobody reads the pipe yet: with plain writes, this would block after 64 KB.
        for line in lines { try output.write(line) }
        #expect(output.spooledBytes > 5_000_000, "most of the 10 MB waits on disk, not in memory")

        let reader = PipeReader(reading: ends[0])
        output.drain()
        close(ends[1])
        let received = reader.waitForEnd()
        #expect(received == lines.flatMap { $0 }, "every line, once, in order")
        #expect(output.spooledBytes == 0)
    }

    @Test("once the reader has gone, writing throws Closed")
    func readerGone() throws {
        signal(SIGPIPE, SIG_IGN)
        var ends: [Int32] = [-1, -1]
        try #require(pipe(&ends) == 0)
        let output = SpooledLineOutput(output: LineOutput(descriptor: ends[1]), memoryLimit: 1024)
        close(ends[0])
        let closed = poll(upTo: 10) {
            do { try output.write(Array("hello\n".utf8)); return false } catch { return true }
        }
        #expect(closed)
        close(ends[1])
    }
}

/// How printed lines count signals done, over a long run.
@Suite("Output progress", .ownThreads(timeLimit: .seconds(60)))
struct OutputProgressTests {
    @Test("500,000 lines reported written, as in a long run: each signal is finished once, and nothing piles up")
    func longRun() async throws {
        let completion = SignalCompletion()
        let progress = OutputProgress(flush: {})
        progress.report(to: completion)
        let count: Int64 = 500_000
        var finished = 0
        // Reported from a thread of its own, as the output's writer does, with its smaller stack: a closure
        // once kept here grew by a thunk per call until that stack overflowed.
        let reporter = Thread {
            for seq in 1...count {
                completion.expect(seq, deliveries: [Delivery.standardOutput])
                progress.written(through: seq)
            }
        }
        reporter.start()
        _ = await pollAsync(upTo: 50, every: .milliseconds(5)) {
            finished += completion.take().count
            return finished >= count
        }
        #expect(finished == Int(count))
    }
}

/// Reads a descriptor to its end on a thread of its own.
private final class PipeReader: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var bytes: [UInt8] = []

    init(reading descriptor: Int32) {
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = read(descriptor, &buffer, buffer.count)
                if count <= 0 { break }
                bytes += buffer[0..<count]
            }
            done.signal()
        }
    }

    func waitForEnd() -> [UInt8] {
        done.wait()
        return bytes
    }
}
