// SPDX-License-Identifier: GPL-2.0-or-later
@testable import FileSignals
import Synchronization
import Testing
import TestSupport

/// Swift closures and a config's receivers are connections on the same `Signal` objects, and the one
/// dispatcher runs them all under the same rules. Each test has a registry of its own.
@Suite("One dispatcher for Swift closures and a config's receivers", .ownThreads())
struct OneDispatcherTests {
    typealias Calls = SignalAPITests.Calls

    struct Failure: Error {}

    let registry = SignalRegistry()
    let calls = Calls()

    private func payload(_ signal: ModelSignal, _ name: String = "a.md", seq: Int64 = 1) -> SignalPayload {
        SignalPayload(seq: seq, time: .now(), signal: signal.rawValue, sender: "Note", instance: RawPath(name), path: RawPath("/w/" + name), source: .live, state: nil)
    }

    /// A dispatcher of the registry, with a `record` handler that a config section can name.
    private func dispatcher(_ reports: Calls = Calls()) -> Dispatcher {
        var handlers = HandlerRegistry()
        handlers.register("record") { [calls] signal in calls.add("ini \(signal.signal)") }
        return Dispatcher(registry: registry, handlers: handlers, settings: .init(root: RawPath("/w"))) { report in
            reports.add("\(report.result.receiver) \(report.result.status.rawValue)")
        }
    }

    private func declared(_ name: String, _ signals: [String]) -> ReceiverDeclaration {
        ReceiverDeclaration(name: name, position: SourcePosition(line: 1, column: 1), signals: signals, senders: [], action: .handler(name: "record", options: [:]))
    }

    @Test("closures connected first run first, then the config's receivers, picked by one rule for each signal")
    func closuresAndDeclared() async {
        registry.signal(named: "post_save").connect(sender: "Note") { [calls] signal in calls.add("swift \(signal.signal)") }
        registry.signal(named: "post_save").connect(sender: "Image") { [calls] _ in calls.add("wrong sender") }
        registry.replaceDeclared(with: [declared("audit", ["post_save"])])
        let dispatcher = dispatcher()
        #expect(dispatcher.deliveries(for: payload(.postSave)).count == 2)
        await dispatcher.dispatch(payload(.postSave))
        await dispatcher.waitUntilIdle()
        #expect(calls.all == ["swift post_save", "ini post_save"])
    }

    @Test("one closure connected to several signals at once gets each, in order per instance: pre_save done before post_save starts")
    func severalSignals() async {
        let preSave = registry.signal(named: "pre_save"), postSave = registry.signal(named: "post_save")
        Signal.connect([preSave, postSave]) { [calls] signal in
            calls.add("start \(signal.signal)")
            if signal.signal == "pre_save" { try await Task.sleep(for: .milliseconds(100)) }
            calls.add("end \(signal.signal)")
        }
        let dispatcher = dispatcher()
        await dispatcher.dispatch(payload(.preSave, seq: 1))
        await dispatcher.dispatch(payload(.postSave, seq: 2))
        await dispatcher.waitUntilIdle()
        #expect(calls.all == ["start pre_save", "end pre_save", "start post_save", "end post_save"])
    }

    @Test("a closure past its timeout is cancelled and reported as timed out")
    func timeout() async {
        registry.signal(named: "post_save").connect(timeout: .milliseconds(100)) { [calls] _ in
            do {
                try await Task.sleep(for: .seconds(600))
            } catch {
                calls.add("cancelled")
                throw error
            }
        }
        let reports = Calls()
        let dispatcher = dispatcher(reports)
        let started = ContinuousClock.now
        await dispatcher.dispatch(payload(.postSave))
        await dispatcher.waitUntilIdle()
        // Far below the closure's 10 minutes; not near its 100 ms either, since the tests of the other suites
        // (which block threads of the shared pool while they wait for processes) can hold the timer up.
        #expect(ContinuousClock.now - started < .seconds(300))
        #expect(calls.all == ["cancelled"])
        #expect(reports.all.map { $0.hasSuffix(" timeout") } == [true])
    }

    @Test("a Swift handler that never returns, even when cancelled, is over at its timeout, and the receivers after it run")
    func hungHandler() async {
        let stuck = Mutex<UnsafeContinuation<Void, Never>?>(nil)
        registry.signal(named: "post_save").connect(dispatchUID: "stuck", timeout: .milliseconds(100)) { _ in
            // Ignores cancellation, as a handler blocked in a system call would.
            await withUnsafeContinuation { continuation in stuck.withLock { $0 = continuation } }
        }
        registry.replaceDeclared(with: [declared("after", ["post_save"])])
        let reports = Calls()
        let dispatcher = dispatcher(reports)
        await dispatcher.dispatch(payload(.postSave))
        await dispatcher.waitUntilIdle()
        #expect(reports.all == ["stuck timeout", "after exited"])
        #expect(calls.all == ["ini post_save"])
        stuck.withLock { $0?.resume() }
    }

    @Test("robust by default; a closure connected with robust: false stops the receivers after it for that signal")
    func failFast() async {
        let postSave = registry.signal(named: "post_save")
        postSave.connect(dispatchUID: "lenient") { [calls] _ in calls.add("lenient"); throw Failure() }
        postSave.connect(dispatchUID: "strict", robust: false) { [calls] _ in calls.add("strict"); throw Failure() }
        registry.replaceDeclared(with: [declared("after", ["post_save"])])
        let reports = Calls()
        let delivered = Calls()
        let dispatcher = dispatcher(reports)
        await dispatcher.dispatch(payload(.postSave), delivered: { key, state in delivered.add("\(key) \(state.rawValue)") })
        await dispatcher.waitUntilIdle()
        #expect(calls.all == ["lenient", "strict"], "the config's receiver after the strict one did not run")
        #expect(reports.all == ["lenient error", "strict error"])
        #expect(Set(delivered.all) == ["lenient done", "strict done", "after dropped"], "and its delivery is finished with, as not made: not made again after a restart")
    }

    @Test("a delivery list picks only those receivers: a restart's replay runs no one else")
    func onlyTheDeliveriesGiven() async {
        registry.signal(named: "post_save").connect(dispatchUID: "fast") { [calls] _ in calls.add("fast") }
        registry.replaceDeclared(with: [declared("slow", ["post_save"])])
        let dispatcher = dispatcher()
        await dispatcher.dispatch(payload(.postSave), to: ["slow"])
        await dispatcher.waitUntilIdle()
        #expect(calls.all == ["ini post_save"])
    }

    @Test("a config's receiver known by the key of a Swift closure: ignored when the closure gets all its signals, else it gets the others")
    func sameKeyAsClosure() async {
        registry.signal(named: "post_delete").connect(sender: "Note", dispatchUID: "forget-note") { [calls] signal in calls.add("swift \(signal.sender)") }
        var covered = declared("forget-note", ["post_delete"])
        covered.senders = ["Note"]
        #expect(registry.replaceDeclared(with: [covered, declared("other", ["post_delete"])]).map(\.isIgnored) == [true])

        // For every sender: a post_delete from Note goes to the closure only, one from Image to it.
        let clashes = registry.replaceDeclared(with: [declared("forget-note", ["post_delete"])])
        #expect(clashes.map(\.isIgnored) == [false])
        let dispatcher = dispatcher()
        await dispatcher.dispatch(payload(.postDelete, "a.md"))
        var image = payload(.postDelete, "b.png")
        image.sender = "Image"
        await dispatcher.dispatch(image)
        await dispatcher.waitUntilIdle()
        #expect(calls.all.sorted() == ["ini post_delete", "swift Note"])
    }

    @Test("closures connected from one line (a loop) are receivers of their own, each with a name of its own")
    func sameLine() async {
        let postSave = registry.signal(named: "post_save")
        for index in 1...3 { postSave.connect { [calls] _ in calls.add("closure \(index)") } }
        #expect(Set(registry.all.map(\.name)).count == 3)
        let dispatcher = dispatcher()
        await dispatcher.dispatch(payload(.postSave))
        await dispatcher.waitUntilIdle()
        #expect(calls.all == ["closure 1", "closure 2", "closure 3"])
    }

    @Test("hasListeners as Django's: with no sender, only receivers for every sender count")
    func hasListeners() {
        let published = registry.signal(named: "published")
        published.connect(sender: "Article") { _ in }
        #expect(published.hasListeners(sender: "Article"))
        #expect(!published.hasListeners(sender: "Image"))
        #expect(!published.hasListeners())
        published.connect { _ in }
        #expect(published.hasListeners())
        #expect(published.hasListeners(sender: "Image"))
    }
}
