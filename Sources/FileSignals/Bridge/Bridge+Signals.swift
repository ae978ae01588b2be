// SPDX-License-Identifier: GPL-2.0-or-later

extension Bridge {
    /// Watches and dispatches every signal to the receivers connected to the ``Signal`` objects of the shared
    /// ``SignalRegistry`` (``Signal/postSave`` and the others), under the dispatcher's rules, until the calling
    /// task is cancelled: the Django API with no INI file.
    ///
    /// - Parameter report: called for each receiver run (``ReceiverResult/isFailure`` tells a failure).
    public func dispatchToSignals(report: @escaping @Sendable (ReceiverReport) -> Void = { _ in }) async throws {
        var bridge = self
        bridge.dispatcher = Dispatcher(registry: .shared, settings: .init(root: folders.first ?? RawPath("/")), report: report)
        try await bridge.run { _ in }
    }
}
