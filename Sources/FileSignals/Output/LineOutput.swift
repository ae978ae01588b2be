// SPDX-License-Identifier: GPL-2.0-or-later
import Glibc

/// Writes whole lines to a file descriptor with `write(2)`, one call per line, so that a reader sees each
/// line as soon as it is written (no buffering to flush).
package struct LineOutput: Sendable {
    /// The descriptor written to.
    package let descriptor: Int32

    /// Standard output.
    package static let standardOutput = LineOutput(descriptor: 1)
    /// Standard error.
    package static let standardError = LineOutput(descriptor: 2)

    package init(descriptor: Int32) { self.descriptor = descriptor }

    /// The reader went away: `EPIPE` (SIGPIPE must be ignored for this to be seen).
    package struct Closed: Error, Sendable {}

    /// Writes all of `bytes`, retrying after interruptions and partial writes.
    /// - Throws: ``Closed`` when the reader has closed its end; other write errors end the output the same way.
    package func write(_ bytes: [UInt8]) throws(Closed) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw Closed()
            }
            offset += written
        }
    }

    /// Writes `line` and a newline.
    package func writeLine(_ line: String) throws(Closed) {
        try write(Array((line + "\n").utf8))
    }

    /// Blocks until the reader of this pipe or socket closes its end (`POLLERR`/`POLLHUP`), so that a
    /// program whose only output is this stream can stop as soon as nobody reads it, not at its next write.
    /// For a regular file or a terminal it blocks forever; call it on a thread of its own.
    package func waitUntilReaderCloses() {
        var watched = pollfd(fd: descriptor, events: 0, revents: 0)
        while true {
            let result = poll(&watched, 1, -1)
            if result < 0 && errno == EINTR { continue }
            if result < 0 || watched.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 { return }
        }
    }
}
