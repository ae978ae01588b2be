// SPDX-License-Identifier: GPL-2.0-or-later

/// One receiver's part of one signal: the journal records a delivery per receiver the signal reaches, in the
/// transaction that records the signal, and marks each done when its receiver is finished with it. After a
/// crash, each receiver gets again only the signals it had not finished: a slow receiver's backlog is not
/// sent again to a fast one.
public struct Delivery: Sendable, Hashable {
    /// Where a delivery stands.
    public enum State: String, Sendable, Hashable {
        case pending, done
        /// Not made: its receiver was no longer in the config when the delivery was to be made again.
        case dropped
        /// Given up: a `url` receiver's endpoint refused it, or failed for longer than `retry_for`. Sent again
        /// by `filesignals retry`.
        case dead
    }

    public var seq: Int64
    /// The receiver's ``ReceiverDeclaration/deliveryKey`` (its `dispatch_uid`, or its name), or
    /// ``standardOutput``.
    public var receiver: String
    /// Where it stands: `done` or `dropped` once it is finished with.
    public var state: State

    public init(seq: Int64, receiver: String, state: State = .done) {
        self.seq = seq
        self.receiver = receiver
        self.state = state
    }

    /// The delivery of a signal's JSON line to the reader of `watch --json`: done once the line is written.
    /// (Parentheses keep it apart from a receiver's name, which a section header cannot make so.)
    public static let standardOutput = "(stdout)"
}
