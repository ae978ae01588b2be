// SPDX-License-Identifier: GPL-2.0-or-later
@testable import FileSignals
import Synchronization
import Testing
import TestSupport

/// What tells the journal which deliveries finished.
@Suite("Signal completion", .ownThreads(timeLimit: .seconds(60)))
struct SignalCompletionTests {
    @Test("the one told of finished deliveries is told once a batch, however many batches a long run makes (300,000 here)")
    func manyBatches() {
        let completion = SignalCompletion()
        let told = Mutex(0)
        completion.whenFinished { told.withLock { $0 += 1 } }
        var taken = 0
        for seq in Int64(1)...300_000 {
            completion.expect(seq, deliveries: [Delivery.standardOutput, "receiver"])
            completion.outputWritten(through: seq)
            completion.delivered(seq, to: "receiver")
            taken += completion.take().count
        }
        #expect(taken == 600_000)
        #expect(told.withLock { $0 } == 300_000)
    }
}
