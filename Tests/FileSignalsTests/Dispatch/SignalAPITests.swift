// SPDX-License-Identifier: GPL-2.0-or-later
import FileSignals
import Foundation
import Synchronization
import Testing
import TestSupport

/// The library as a Swift user sees it, with no INI file: `Signal`, its receivers, and a `Bridge` that
/// sends model signals. Only public API is used here.
@Suite("The Swift API", .ownThreads())
struct SignalAPITests {
    /// What receivers saw, across tasks.
    final class Calls: Sendable {
        private let names = Mutex<[String]>([])
        func add(_ name: String) { names.withLock { $0.append(name) } }
        var all: [String] { names.withLock { $0 } }
    }

    struct Failure: Error {}

    private func payload(sender: String, _ name: String = "a.md") -> SignalPayload {
        SignalPayload(seq: 1, time: .now(), signal: "published", sender: sender, instance: RawPath(name), path: RawPath("/srv/" + name), source: .send, state: nil)
    }

    @Test("receivers are called in the order they were connected, filtered by sender")
    func orderAndSender() async {
        let published = Signal("published")
        let calls = Calls()
        published.connect { _ in calls.add("any") }
        published.connect(sender: "Article") { _ in calls.add("article") }
        published.connect(sender: "Image") { _ in calls.add("image") }
        _ = try? await published.send(payload(sender: "Article"))
        #expect(calls.all == ["any", "article"])
        #expect(published.hasListeners(sender: "Image"))
        #expect(published.hasListeners(sender: "Page"), "the receiver for any sender listens to Page too")
    }

    @Test("connecting twice with one dispatchUID keeps one receiver; disconnect removes it")
    func dispatchUID() async {
        let published = Signal("published")
        let calls = Calls()
        let first = published.connect(dispatchUID: "audit") { _ in calls.add("first") }
        let second = published.connect(dispatchUID: "audit") { _ in calls.add("second") }
        #expect(first == second)
        await published.sendRobust(payload(sender: "Article"))
        #expect(calls.all == ["first"])
        #expect(published.disconnect(dispatchUID: "audit"))
        #expect(!published.hasListeners())
        #expect(!published.disconnect(first))
    }

    @Test("send stops at the first error and throws it; sendRobust calls every receiver and returns the errors")
    func sendAndSendRobust() async {
        let published = Signal("published")
        let calls = Calls()
        published.connect { _ in calls.add("one"); throw Failure() }
        published.connect { _ in calls.add("two") }
        await #expect(throws: Failure.self) { try await published.send(payload(sender: "Article")) }
        #expect(calls.all == ["one"])
        let responses = await published.sendRobust(payload(sender: "Article"))
        #expect(calls.all == ["one", "one", "two"])
        #expect(responses.map { $0.error is Failure } == [true, false])
    }

    @Test("a signal dropped while connected passes its receivers to no signal made after it")
    func droppedSignal() {
        for _ in 0..<100 {
            do {
                let dropped = Signal("dropped")
                dropped.connect { _ in }
            }
            // Made where the dropped one was, more often than not, if the registry let it be freed.
            #expect(!Signal("made later").hasListeners())
        }
    }

    @Test("the four model signals are named as in Django")
    func modelSignals() {
        #expect([Signal.preSave, .postSave, .preDelete, .postDelete].map(\.name) == ["pre_save", "post_save", "pre_delete", "post_delete"])
    }
}

extension InotifyWatcherTests {
    /// Watching needs the process's one inotify session, so this runs inside the watcher's serialized suite.
    @Suite("A Bridge dispatching to Signal.postSave")
    struct BridgeAPITests {
        @Test("a file saved in a watched folder reaches a receiver connected to Signal.postSave for its model")
        func bridgeToSignals() async throws {
            let folder = try TemporaryFolder()
            let model = Model(
                name: "Notes", folders: [Model.Folder(path: RawPath(folder.path))],
                match: [try GlobPattern("*.md")], exclusions: .defaultIgnores)
            let received = AsyncStream<SignalPayload>.makeStream()
            let connection = Signal.postSave.connect(sender: "Notes") { signal in received.continuation.yield(signal) }
            defer { Signal.postSave.disconnect(connection) }

            let bridge = Bridge(models: [model])
            let watching = Task { try await bridge.dispatchToSignals() }
            defer { watching.cancel() }
            // Written until seen: the first write may come before the watch exists.
            let writer = Task {
                for attempt in 0..<200 where !Task.isCancelled {
                    try folder.shell("echo \(attempt) > hello.md")
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            defer { writer.cancel() }
            let timeout = Task { try await Task.sleep(for: .seconds(60)); received.continuation.finish() }
            defer { timeout.cancel() }
            var iterator = received.stream.makeAsyncIterator()
            let first = await iterator.next()
            #expect(first?.instance == RawPath("hello.md"))
            #expect(first?.sender == "Notes")
            #expect(first?.signal == "post_save")
        }
    }
}
