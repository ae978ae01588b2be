// SPDX-License-Identifier: GPL-2.0-or-later
@testable import FileSignals
import Synchronization
import Testing
import TestSupport

/// The bridge's work on the watcher's thread, driven as that thread drives it (``BridgeEngine/receive(_:)``
/// and ``BridgeEngine/tick()``) with a fake event stream from a ``FakeDisk``, a real state database, and the
/// deliveries of a real dispatcher's receivers.
@Suite("The bridge's engine on a fake event stream", .ownThreads())
struct BridgeEngineTests {
    let folder: TemporaryFolder
    let store: StateStore
    let disk = FakeDisk()
    let model: Model

    init() throws {
        folder = try TemporaryFolder()
        store = try StateStore(path: folder.path + "/state.db")
        model = Model(name: "Note", folders: [Model.Folder(path: RawPath("/w"))], match: [try GlobPattern("*.md")], exclusions: .defaultIgnores)
    }

    private func receiver(_ name: String, _ signals: [String]) -> ReceiverDeclaration {
        ReceiverDeclaration(name: name, position: SourcePosition(line: 1, column: 1), signals: signals, senders: ["Note"], action: .command("true"))
    }

    /// An engine as `Bridge.run` makes one, reading the fake disk.
    private func engine(receivers: [ReceiverDeclaration]) throws -> (BridgeEngine, Journal) {
        let dispatcher = receivers.isEmpty ? nil : Dispatcher(receivers: receivers, settings: .init(root: RawPath("/w")), report: { _ in })
        let bridge = Bridge(models: [model], options: .init(settle: .zero, unclosedWriteTimeout: .zero), state: store, dispatcher: dispatcher)
        let journal = Journal(store: store)
        let contents = try journal.open(retention: .seconds(3600))
        let reconciler = Reconciler(
            models: [model], options: bridge.options, table: contents.table, hasState: contents.hasState, firstSeq: contents.nextSeq, probe: disk, pressure: nil)
        return (BridgeEngine(reconciler: reconciler, journal: journal, bridge: bridge), journal)
    }

    /// The signals the engine handed over, until `count` have come (the outbox is read as the bridge reads it).
    private func handedOver(_ engine: BridgeEngine, count: Int) async -> [Bridge.Emitted] {
        var emitted: [Bridge.Emitted] = []
        for await event in engine.outbox {
            if case .signals(let batch) = event { emitted += batch }
            if emitted.count >= count { break }
        }
        return emitted
    }

    @Test("each signal is journaled, before it is handed over, with one delivery per receiver it reaches; a finished delivery is marked done without waiting for another batch")
    func deliveriesJournaled() async throws {
        let (engine, journal) = try engine(receivers: [receiver("fast", ["pre_save", "post_save"]), receiver("slow", ["post_save"])])
        engine.receive(disk.walk(.initialWalk) + [.ready(folders: 1, files: 0)])
        engine.receive(disk.write(RawPath("/w/a.md"), "hi"))
        engine.tick()
        let emitted = await handedOver(engine, count: 2)
        #expect(emitted.map(\.payload.signal) == ["pre_save", "post_save"])
        #expect(emitted.map(\.deliveries) == [["fast"], ["fast", "slow"]])
        #expect(try store.load().unfinished.map(\.pendingDeliveries) == [["fast"], ["fast", "slow"]], "journaled before being handed over")

        for item in emitted { journal.completion.delivered(item.payload.seq, to: "fast") }
        // No new event: the done marks go out on the engine's next ticks all the same.
        var pending = try store.load().unfinished.map(\.pendingDeliveries)
        _ = await pollAsync(upTo: 10, every: .milliseconds(2)) {
            engine.tick()
            pending = (try? store.load().unfinished.map(\.pendingDeliveries)) ?? []
            return pending == [["slow"]]
        }
        #expect(pending == [["slow"]])
        engine.end(error: nil)
    }

    @Test("a catch-up of thousands of changed files is handed over a part at a time, not decided and held all at once")
    func largeCatchUpInParts() async throws {
        let paths = (0..<5000).map { RawPath("/w/f\($0).md") }
        for path in paths { disk.write(path, "x") }
        let (first, _) = try engine(receivers: [])
        first.receive(disk.walk(.initialWalk) + [.ready(folders: 1, files: 0)])
        first.end(error: nil)
        // Stopped: every file changed.
        for path in paths { disk.write(path, "changed") }

        let (second, _) = try engine(receivers: [])
        let batches = Mutex<[Int]>([])
        let reader = Task {
            for await event in second.outbox {
                if case .signals(let batch) = event { batches.withLock { $0.append(batch.count) } }
                second.backlog.handled()
            }
        }
        second.receive(disk.walk(.initialWalk) + [.ready(folders: 1, files: 0)])
        _ = await pollAsync(upTo: 60, every: .milliseconds(1)) {
            second.tick()
            return batches.withLock { $0.reduce(0, +) } >= 2 * paths.count
        }
        second.end(error: nil)
        await reader.value
        let sizes = batches.withLock { $0 }
        #expect(sizes.reduce(0, +) == 2 * paths.count, "a pre_save and a post_save for each file")
        #expect(sizes.allSatisfy { $0 <= 2 * BridgeEngine.decisionsPerTick }, "\(sizes)")
    }

    @Test("with no receiver and no confirmed reader, a signal is journaled done")
    func nothingToDeliver() async throws {
        let (engine, _) = try engine(receivers: [])
        engine.receive(disk.walk(.initialWalk) + [.ready(folders: 1, files: 0)])
        engine.receive(disk.write(RawPath("/w/a.md"), "hi"))
        engine.tick()
        let emitted = await handedOver(engine, count: 2)
        #expect(emitted.allSatisfy { $0.deliveries.isEmpty })
        #expect(try store.load().unfinished.isEmpty)
        #expect(try store.journal(after: 0).map(\.isDone) == [true, true])
        engine.end(error: nil)
    }
}
