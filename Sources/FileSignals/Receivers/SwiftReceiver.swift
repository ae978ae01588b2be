// SPDX-License-Identifier: GPL-2.0-or-later

/// A Swift closure connected to one or more ``Signal``s, and where in the source it was connected from (what
/// `check` and `explain` show, and the receiver's name when it has no `dispatchUID`).
///
/// Two are equal only when they are the same connection: closures cannot be compared.
public final class SwiftReceiver: Sendable, Hashable {
    /// What a closure receiver is: called with the signal; throwing reports a failure.
    public typealias Body = @Sendable (SignalPayload) async throws -> Void

    public let body: Body
    /// `Module/File.swift:12`, where `connect` was called.
    public let connectedAt: String

    init(body: @escaping Body, connectedAt: String) {
        self.body = body
        self.connectedAt = connectedAt
    }

    public static func == (left: SwiftReceiver, right: SwiftReceiver) -> Bool { left === right }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}
