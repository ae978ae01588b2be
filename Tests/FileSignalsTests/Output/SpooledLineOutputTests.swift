// SPDX-License-Identifier: GPL-2.0-or-later
import FileSignals
import Foundation
import Glibc
import Testing
import TestSupport

/// Lines for a reader that stops reading: memory stays bounded, the spool keeps the rest, in order.
@Suite("Spooled output", .timeLimit(.minutes(1)))
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
