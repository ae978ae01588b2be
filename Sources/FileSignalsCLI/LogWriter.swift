// SPDX-License-Identifier: GPL-2.0-or-later
import CProcessSupport
import FileSignals
import Foundation

/// Writes the log to standard error from a thread of its own, so that a reader of stderr that stops reading
/// (a full pipe, a stopped pager) never holds up the bridge: lines wait in a bounded queue, and when it is
/// full, new lines are dropped and counted; once the reader takes lines again, a line says how many were lost.
final class LogWriter: @unchecked Sendable {
    /// The log's writer to standard error.
    static let standardError = LogWriter(output: .standardError)

    /// The most bytes waiting at once.
    static let capacity = 256 * 1024

    private let output: LineOutput
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var waiting: [[UInt8]] = []
    private var waitingBytes = 0
    private var dropped = 0
    private var isWriting = false
    private var thread: Thread?

    init(output: LineOutput) {
        self.output = output
    }

    /// Queues `bytes` (whole lines); drops them, counted, when the queue is full.
    func write(_ bytes: [UInt8]) {
        condition.lock()
        defer { condition.unlock() }
        if thread == nil { startThread() }
        guard waitingBytes + bytes.count <= Self.capacity else {
            dropped += 1
            return
        }
        waiting.append(bytes)
        waitingBytes += bytes.count
        condition.broadcast()
    }

    /// Waits until every queued line is written, or `timeout` has passed (the reader is stalled): before the
    /// process exits.
    func flush(timeout: Duration = .seconds(2)) {
        let deadline = Date().addingTimeInterval(Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18)
        condition.lock()
        defer { condition.unlock() }
        while !waiting.isEmpty || isWriting {
            if !condition.wait(until: deadline) { return }
        }
    }

    /// Lines dropped so far (for tests and the notice).
    var droppedCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return dropped
    }

    private func startThread() {
        let thread = Thread { [self] in
            filesignals_name_thread("fs-log")
            while true {
                condition.lock()
                while waiting.isEmpty { condition.wait() }
                var batch = Array(waiting.joined())
                waiting.removeAll(keepingCapacity: true)
                waitingBytes = 0
                if dropped > 0 {
                    batch += Array("filesignals: warning: \(dropped) log line\(dropped == 1 ? " was" : "s were") dropped: standard error was not read\n".utf8)
                    dropped = 0
                }
                isWriting = true
                condition.unlock()
                // Standard error going away is no reason to stop watching.
                try? output.write(batch)
                condition.lock()
                isWriting = false
                condition.broadcast()
                condition.unlock()
            }
        }
        self.thread = thread
        thread.start()
    }
}
