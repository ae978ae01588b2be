// SPDX-License-Identifier: GPL-2.0-or-later
@testable import FileSignals
import Logging
import Synchronization
import Testing
import TestSupport

/// The library logs through swift-log's `Logger`, which a program built on it configures: here a logger of the
/// test's own collects what a url receiver's deliverer says when its endpoint does not answer.
@Suite("Logging through swift-log", .ownThreads(timeLimit: .seconds(60)))
struct DelivererLoggingTests {
    /// Keeps every record, with its level and metadata.
    struct Collecting: LogHandler {
        let box: Box
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            box.records.withLock { $0.append((event.level, event.message.description, all)) }
        }
    }

    final class Box: Sendable { let records = Mutex<[(Logger.Level, String, Logger.Metadata)]>([]) }

    @Test("a delivery given up is a warning to the program's own logger, with the receiver as metadata")
    func deadDeliveryIsLogged() async throws {
        let folder = try TemporaryFolder()
        let store = try StateStore(path: folder.path + "/state.db")
        var batch = StateStore.Batch(nextSeq: 2)
        let line = Array(#"{"type":"signal","seq":1,"time":"2026-12-06T08:00:00.000000Z","signal":"post_save","sender":"Doc","instance":"a.md","path":"/w/a.md","source":"live"}"#.utf8)
        batch.signals = [(seq: 1, signal: "post_save", sender: "Doc", line: line, deliveries: ["hook"])]
        try store.record(batch)
        var settings = URLReceiverSettings(url: "http://127.0.0.1:1/events")
        settings.requestTimeout = .seconds(1)
        settings.retryFor = .zero
        let receiver = ReceiverDeclaration(name: "hook", position: SourcePosition(line: 1, column: 1), signals: ["post_save"], action: .url(settings))
        let box = Box()
        let logger = Logger(label: "test") { _ in Collecting(box: box) }
        let deliverer = try HTTPDeliverer(receiver: receiver, settings: settings, store: store, root: RawPath("/w"), host: "test", jobs: 1, logger: logger)
        await deliverer.start()
        #expect(await pollAsync(upTo: 30) { box.records.withLock { $0.contains { $0.0 == .warning && $0.1.contains("not delivered") } } })
        await deliverer.stop()
        let warning = try #require(box.records.withLock { $0.first { $0.1.contains("not delivered") } })
        #expect(warning.2["receiver"] == .string("hook"))
        #expect(try store.deadDetails().count == 1)
    }
}
