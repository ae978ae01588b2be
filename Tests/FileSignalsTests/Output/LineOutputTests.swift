// SPDX-License-Identifier: GPL-2.0-or-later
import FileSignals
import Foundation
import Glibc
import Testing
import TestSupport

/// Lines written to a pipe whose reader is slow: what is in the pipe is always whole lines, so a writer killed
/// while blocked (kill -9) never leaves half a line for the next writer's output to be glued onto.
@Suite("Line output to a pipe", .ownThreads())
struct LineOutputTests {
    @Test("a batch of lines larger than the pipe's room goes in whole lines: the pipe never holds half of one")
    func wholeLines() throws {
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        defer { close(ends[0]); close(ends[1]) }
        _ = fcntl(ends[1], 1031 /* F_SETPIPE_SZ */, 4096)
        let batch = Array((String(repeating: "a", count: 3000) + "\n" + String(repeating: "b", count: 3000) + "\n" + String(repeating: "c", count: 3000) + "\n").utf8)
        let writing = Thread { [descriptor = ends[1]] in
            try? LineOutput(descriptor: descriptor).write(batch)
        }
        writing.start()
        // The writer blocks once the pipe has no room for its next line.
        let deadline = ContinuousClock.now + .seconds(20)
        // (No other thread of the test process writes to a pipe that is full.)
        let isBlockedOnAPipe = {
            ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []).contains { task in
                ((try? String(contentsOfFile: "/proc/self/task/\(task)/wchan", encoding: .utf8)) ?? "").contains("pipe_write")
            }
        }
        while !isBlockedOnAPipe() && ContinuousClock.now < deadline { usleep(1000) }
        #expect(isBlockedOnAPipe(), "the writer never blocked")
        var waiting: Int32 = 0
        _ = ioctl(ends[0], UInt(FIONREAD), &waiting)
        #expect(waiting == 3001, "the pipe holds \(waiting) bytes: whole lines only")
        // Read the rest, so that the writer ends.
        var buffer = [UInt8](repeating: 0, count: 16384)
        var total = 0
        while total < batch.count { total += max(0, read(ends[0], &buffer, buffer.count)) }
        #expect(total == batch.count)
    }
}
