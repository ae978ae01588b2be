// SPDX-License-Identifier: GPL-2.0-or-later

/// How one run of a receiver went: its result, and what it printed, for the log.
public struct ReceiverReport: Sendable {
    public var result: ReceiverResult
    /// What the run printed, bounded; empty for Swift receivers and skipped runs.
    public var standardOutput: [UInt8] = []
    public var standardError: [UInt8] = []
    public var droppedBytes = 0
    /// The process could not be started for want of a resource that frees up (descriptors, processes,
    /// memory): the run is tried again rather than counted as done.
    var couldNotStartForNow = false
    /// What a Swift receiver threw.
    public var error: (any Error)?

    public init(result: ReceiverResult) { self.result = result }

    init(result: ReceiverResult, standardOutput: [UInt8], standardError: [UInt8], droppedBytes: Int) {
        self.result = result
        self.standardOutput = standardOutput
        self.standardError = standardError
        self.droppedBytes = droppedBytes
    }
}
