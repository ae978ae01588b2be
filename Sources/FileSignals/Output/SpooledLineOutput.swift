// SPDX-License-Identifier: GPL-2.0-or-later
import CProcessSupport
import Foundation
import Glibc

/// Lines for a reader that may stop reading for a while (a paused pager, a log shipper that is down), written
/// by a thread of their own, so that whoever produces them never waits for the reader.
///
/// Lines wait in memory up to `memoryLimit` bytes; past that they go, in order, to a spool file (unlinked,
/// in the temporary folder) that the writer reads back once it has caught up. Memory stays bounded however
/// long the reader stalls, and no line is lost or reordered. Only when the spool cannot be written either
/// (a full disk) does ``write(_:mark:)`` wait for the reader.
///
/// A line may carry a mark (a signal's `seq`, in increasing order); `onWritten` is called with the last mark
/// whose line has been written, so that a signal counts as done only once its reader has it.
package final class SpooledLineOutput: @unchecked Sendable {
    private let output: LineOutput
    private let onWritten: (@Sendable (Int64) -> Void)?
    private let memoryLimit: Int
    private let spoolFolder: String
    private let condition = NSCondition()
    // Everything below is guarded by `condition`.
    private var memory: [[UInt8]] = []
    private var memoryHead = 0
    private var memoryBytes = 0
    private var spool: Int32 = -1
    private var spoolWritten: Int64 = 0
    private var spoolRead: Int64 = 0
    private var isWriting = false
    /// Bytes queued and bytes written since the start, and the marks between: (end of the marked line, mark).
    private var bytesQueued: Int64 = 0
    private var bytesWritten: Int64 = 0
    private var marks: [(end: Int64, mark: Int64)] = []
    private var marksHead = 0
    private var isClosed = false
    private var isAbandoned = false
    private var hasThread = false

    /// - Parameters:
    ///   - memoryLimit: bytes kept in memory before lines go to the spool file.
    ///   - spoolFolder: where the spool file is made (it has no name: nothing is left behind).
    ///   - onWritten: called on the writer's thread with the last mark written.
    package init(
        output: LineOutput = .standardOutput, memoryLimit: Int = 4 << 20, spoolFolder: String = NSTemporaryDirectory(),
        onWritten: (@Sendable (Int64) -> Void)? = nil
    ) {
        self.output = output
        self.onWritten = onWritten
        self.memoryLimit = memoryLimit
        self.spoolFolder = spoolFolder
    }

    deinit {
        if spool >= 0 { close(spool) }
    }

    /// Bytes waiting in the spool file now.
    package var spooledBytes: Int64 {
        condition.lock()
        defer { condition.unlock() }
        return spoolWritten - spoolRead
    }

    /// Queues `bytes` (whole lines, newline included) behind what is already queued.
    /// - Parameter mark: given to `onWritten` once these bytes are written; marks must increase.
    /// - Throws: ``LineOutput/Closed`` once the reader has gone.
    package func write(_ bytes: [UInt8], mark: Int64? = nil) throws(LineOutput.Closed) {
        condition.lock()
        defer { condition.unlock() }
        startThreadIfNeeded()
        while true {
            if isClosed { throw LineOutput.Closed() }
            let isSpooling = spoolRead < spoolWritten
            if !isSpooling && memoryBytes + bytes.count <= memoryLimit {
                memory.append(bytes)
                memoryBytes += bytes.count
                break
            }
            if appendToSpool(bytes) { break }
            // Neither memory nor disk has room: wait for the reader, as a plain write would.
            condition.wait()
        }
        bytesQueued += Int64(bytes.count)
        if let mark { marks.append((bytesQueued, mark)) }
        condition.broadcast()
    }

    /// Waits until every queued line is written, the reader has gone, or ``abandon()`` is called.
    package func drain() {
        condition.lock()
        defer { condition.unlock() }
        while !isClosed && !isAbandoned && (memoryHead < memory.count || spoolRead < spoolWritten || isWriting) {
            condition.wait()
        }
    }

    /// Stops ``drain()`` from waiting any longer (the user asked to stop now); what is queued is not written.
    package func abandon() {
        condition.lock()
        isAbandoned = true
        condition.broadcast()
        condition.unlock()
    }

    /// Appends to the spool file, making it first; false when the disk refuses.
    private func appendToSpool(_ bytes: [UInt8]) -> Bool {
        if spool < 0 {
            spool = filesignals_open_unnamed_file(spoolFolder)
            if spool < 0 { return false }
        }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { pwrite(spool, $0.baseAddress! + offset, $0.count - offset, off_t(spoolWritten) + off_t(offset)) }
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { return false }   // a partial line past spoolWritten is overwritten next time
            offset += written
        }
        spoolWritten += Int64(bytes.count)
        return true
    }

    private func startThreadIfNeeded() {
        guard !hasThread else { return }
        hasThread = true
        let thread = Thread { [self] in
            filesignals_name_thread("fs-output")
            writeLoop()
        }
        thread.start()
    }

    /// The writer: memory first (it is always older than the spool), then the spool, oldest first.
    private func writeLoop() {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            condition.lock()
            while memoryHead == memory.count && spoolRead == spoolWritten { condition.wait() }
            var next: [UInt8]
            if memoryHead < memory.count {
                // Everything queued goes out in one write (up to 64 KiB): one system call per batch, not per line.
                next = memory[memoryHead]
                memory[memoryHead] = []   // the line's bytes are freed now, not at the next compaction
                memoryHead += 1
                while memoryHead < memory.count, next.count + memory[memoryHead].count <= chunk.count {
                    next += memory[memoryHead]
                    memory[memoryHead] = []
                    memoryHead += 1
                }
                memoryBytes -= next.count
                // Under a steady flow the queue is never empty when looked at: drop the written part now and then.
                if memoryHead >= 4096 || memoryHead == memory.count {
                    memory.removeFirst(memoryHead)
                    memoryHead = 0
                }
            } else {
                let wanted = Int(min(Int64(chunk.count), spoolWritten - spoolRead))
                let count = chunk.withUnsafeMutableBytes { pread(spool, $0.baseAddress, wanted, off_t(spoolRead)) }
                next = count > 0 ? Array(chunk[0..<count]) : []
                spoolRead += Int64(max(count, 0))
                if count <= 0 { spoolRead = spoolWritten }   // unreadable: give up on the rest rather than spin
                if spoolRead == spoolWritten {
                    spoolRead = 0
                    spoolWritten = 0
                    _ = ftruncate(spool, 0)
                }
            }
            isWriting = true
            condition.unlock()

            var closed = false
            do { try output.write(next) } catch { closed = true }

            condition.lock()
            bytesWritten += Int64(next.count)
            var written: Int64?
            while !closed, marksHead < marks.count, marks[marksHead].end <= bytesWritten {
                written = marks[marksHead].mark
                marksHead += 1
            }
            if marksHead >= 4096 || marksHead == marks.count {
                marks.removeFirst(marksHead)
                marksHead = 0
            }
            condition.unlock()
            // Told before `drain()` can return, so that what drained counts as written.
            if let written { onWritten?(written) }

            condition.lock()
            isWriting = false
            if closed { isClosed = true }
            condition.broadcast()
            condition.unlock()
            if closed { return }
        }
    }
}
