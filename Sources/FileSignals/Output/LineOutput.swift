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

    /// Whether the descriptor is a pipe: writes of whole lines up to `PIPE_BUF` bytes are then atomic.
    private let isPipe: Bool

    package init(descriptor: Int32) {
        self.descriptor = descriptor
        var info = stat()
        isPipe = fstat(descriptor, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO
    }

    /// The reader went away: `EPIPE` (SIGPIPE must be ignored for this to be seen).
    package struct Closed: Error, Sendable {}

    /// Writes all of `bytes` (whole lines), retrying after interruptions and partial writes. To a pipe, lines go
    /// in writes of at most `PIPE_BUF` bytes cut at line ends, each of which the kernel writes whole or not at
    /// all: a `kill -9` while the reader is slow never leaves half a line in the pipe for the next run to finish.
    /// - Throws: ``Closed`` when the reader has closed its end; other write errors end the output the same way.
    package func write(_ bytes: [UInt8]) throws(Closed) {
        guard isPipe, bytes.count > Int(PIPE_BUF) else { return try writeAll(bytes[...]) }
        let newline = UInt8(ascii: "\n"), limit = Int(PIPE_BUF)
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let end: Int
            if bytes.endIndex - start <= limit {
                end = bytes.endIndex
            } else if let lastLineEnd = bytes[start..<start + limit].lastIndex(of: newline) {
                end = lastLineEnd + 1
            } else {
                // A line longer than PIPE_BUF cannot be written whole: it goes alone.
                end = bytes[start...].firstIndex(of: newline).map { $0 + 1 } ?? bytes.endIndex
            }
            try writeAll(bytes[start..<end])
            start = end
        }
    }

    private func writeAll(_ bytes: ArraySlice<UInt8>) throws(Closed) {
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            let written = bytes.withUnsafeBytes { buffer in
                Glibc.write(descriptor, buffer.baseAddress! + (offset - bytes.startIndex), bytes.endIndex - offset)
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
