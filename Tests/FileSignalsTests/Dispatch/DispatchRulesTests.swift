// SPDX-License-Identifier: GPL-2.0-or-later
@testable import FileSignals
import Foundation
import Glibc
import Synchronization
import Testing
import TestSupport

/// Django's dispatch rules with real processes: robust and fail-fast, on_busy, order per instance, loops.
@Suite("Dispatch rules", .ownThreads(timeLimit: .seconds(180)))
struct DispatchRulesTests {
    @Test("robust (the default): a failing receiver is reported and the next one runs")
    func robust() async throws {
        let harness = try DispatcherHarness([receiver("fails", command: "exit 1"), receiver("next", command: "touch ran")])
        await harness.dispatchAndWait([try harness.signal("a.md")])
        #expect(harness.results.map(\.receiver) == ["fails", "next"])
        #expect(access(harness.folder.path + "/ran", F_OK) == 0)
    }

    @Test("robust = no: a failing receiver stops the ones after it, for that signal only")
    func failFast() async throws {
        let harness = try DispatcherHarness([receiver("fails", command: "exit 1", robust: false), receiver("next", command: "touch ran")])
        await harness.dispatchAndWait([try harness.signal("a.md", seq: 1), try harness.signal("b.md", seq: 2)])
        #expect(harness.results.map(\.receiver) == ["fails", "fails"])
        #expect(access(harness.folder.path + "/ran", F_OK) != 0)
    }

    /// A receiver that logs when it starts, waits until the test creates `release`, and logs when it ends;
    /// the second instance's signal comes while the first run is still going.
    private func busyRun(_ policy: ReceiverDeclaration.BusyPolicy) async throws -> (log: [String], results: [ReceiverResult]) {
        let harness = try DispatcherHarness([
            receiver("slow", command: "echo start $FILESIGNALS_INSTANCE >> log; while [ ! -e release ]; do sleep 0.01; done; echo end $FILESIGNALS_INSTANCE >> log", onBusy: policy),
        ])
        await harness.dispatcher.dispatch(try harness.signal("a.md", seq: 1))
        #expect(await harness.waitFor { harness.read("log").contains("start a.md") })
        await harness.dispatcher.dispatch(try harness.signal("b.md", seq: 2))
        switch policy {
        case .parallel, .restart:
            #expect(await harness.waitFor { harness.read("log").contains("start b.md") })
        case .skip:
            #expect(await harness.waitFor { harness.results.contains { $0.status == .skipped } })
        case .queue:
            break   // b cannot start before a ends, whenever `release` comes
        }
        try harness.folder.shell("touch release")
        await harness.dispatcher.waitUntilIdle()
        return (harness.read("log").split(separator: "\n").map(String.init), harness.results)
    }

    @Test("on_busy = queue: one run at a time, the next waits")
    func queue() async throws {
        let (log, _) = try await busyRun(.queue)
        #expect(log == ["start a.md", "end a.md", "start b.md", "end b.md"])
    }

    @Test("on_busy = parallel: runs for different instances overlap")
    func parallel() async throws {
        let (log, _) = try await busyRun(.parallel)
        #expect(Array(log.prefix(2)) == ["start a.md", "start b.md"])
        #expect(Set(log.suffix(2)) == ["end a.md", "end b.md"])
    }

    @Test("on_busy = skip: the new signal is dropped and reported skipped")
    func skip() async throws {
        let (log, results) = try await busyRun(.skip)
        #expect(log == ["start a.md", "end a.md"])
        #expect(results.map(\.status).sorted { $0.rawValue < $1.rawValue } == [.exited, .skipped])
    }

    @Test("on_busy = restart: the running one is stopped (superseded, not failed) and the new one runs")
    func restart() async throws {
        let (log, results) = try await busyRun(.restart)
        #expect(log == ["start a.md", "start b.md", "end b.md"])
        let stopped = results.first { $0.instance == RawPath("a.md") }
        #expect(stopped?.status == .skipped && stopped?.isFailure == false, "\(String(describing: stopped))")
        #expect(results.first { $0.instance == RawPath("b.md") }?.status == .exited)
    }

    @Test("under jobs = 4, every pre_save receiver of an instance ends before its post_save receiver starts")
    func orderPerInstance() async throws {
        let script = "echo \"$(date +%s%N) start $FILESIGNALS_SIGNAL $FILESIGNALS_INSTANCE\" >> log; sleep 0.3; echo \"$(date +%s%N) end $FILESIGNALS_SIGNAL $FILESIGNALS_INSTANCE\" >> log"
        let harness = try DispatcherHarness(
            [receiver("pre", command: script, signals: [.preSave], onBusy: .parallel),
             receiver("post", command: script, signals: [.postSave], onBusy: .parallel)],
            jobs: 4)
        var signals: [SignalPayload] = []
        for index in 0..<8 {
            signals.append(try harness.signal("f\(index).md", .preSave, seq: Int64(2 * index)))
            signals.append(try harness.signal("f\(index).md", .postSave, seq: Int64(2 * index + 1)))
        }
        await harness.dispatchAndWait(signals)
        let lines: [[String]] = harness.read("log").split(separator: "\n").map { (line: Substring) -> [String] in line.split(separator: " ").map(String.init) }
        let events: [[String]] = lines.sorted { (left: [String], right: [String]) -> Bool in (Int(left[0]) ?? 0) < (Int(right[0]) ?? 0) }
        // Whether `event` is `what` (start or end) of `signal` for `name`: spelled out for the type checker.
        func isEvent(_ event: [String], _ what: String, _ signal: String, _ name: String) -> Bool {
            event[1] == what && event[2] == signal && event[3] == name
        }
        for index in 0..<8 {
            let name = "f\(index).md"
            let preEnd = events.firstIndex { isEvent($0, "end", "pre_save", name) }
            let postStart = events.firstIndex { isEvent($0, "start", "post_save", name) }
            #expect(preEnd != nil && postStart != nil && preEnd! < postStart!, "\(name): post_save started before pre_save ended")
        }
        var running = 0, most = 0
        for event in events {
            running += event[1] == "start" ? 1 : -1
            most = max(most, running)
        }
        #expect(most > 1, "instances were dispatched one at a time")
        #expect(most <= 4, "more than jobs = 4 runs at once")
    }

    @Test("when = created and when = content-changed filter post_save")
    func when() async throws {
        var created = receiver("created", command: "echo $FILESIGNALS_INSTANCE >> created.log")
        created.when = .created
        var changed = receiver("changed", command: "echo $FILESIGNALS_INSTANCE >> changed.log")
        changed.when = .contentChanged
        let harness = try DispatcherHarness([created, changed])
        var new = try harness.signal("new.md", seq: 1)
        new.created = true
        var touched = try harness.signal("touched.md", seq: 2)
        touched.created = false
        touched.changes = [.mtime]
        var edited = try harness.signal("edited.md", seq: 3)
        edited.created = false
        edited.changes = [.content, .mtime]
        await harness.dispatchAndWait([new, touched, edited])
        #expect(harness.read("created.log") == "new.md\n")
        #expect(Set(harness.read("changed.log").split(separator: "\n")) == ["new.md", "edited.md"])
    }

    @Test("a save that is the receiver's own write does not run it again")
    func ownWrite() async throws {
        let harness = try DispatcherHarness([receiver("stamp", command: "echo stamped >> \"$FILESIGNALS_PATH\"")])
        await harness.dispatchAndWait([try harness.signal("a.md", seq: 1)])
        // What inotify would report next: a save whose content is what the receiver left.
        await harness.dispatchAndWait([try harness.signal("a.md", seq: 2, create: false)])
        #expect(harness.results.map(\.status) == [.exited, .skipped])
        #expect(harness.results.last?.message == "this save is the receiver's own write")
        #expect(harness.read("a.md") == "stamped\n")
    }

    @Test("receivers slower than the signals: waitForRoom holds the caller until the queue is down to its limit")
    func room() async throws {
        let harness = try DispatcherHarness([receiver("slow", command: "sleep 0.02")], jobs: 1)
        for index in 0..<20 { await harness.dispatcher.dispatch(try harness.signal("a.md", seq: Int64(index + 1))) }
        await harness.dispatcher.waitForRoom(limit: 5)
        // 20 queued; when it returns, at most 5 wait and 1 runs.
        #expect(harness.results.count >= 14, "\(harness.results.count) finished")
        await harness.dispatcher.waitUntilIdle()
        #expect(harness.results.count == 20)
    }

    @Test("a receiver run more than loop_limit times in 10 s for one instance is paused for it")
    func loopLimit() async throws {
        let harness = try DispatcherHarness([receiver("count", command: "echo run >> runs.log")], loopLimit: 3)
        // Saved long before the runs: never taken for a run's own write, however fast the first run starts.
        try harness.folder.shell("touch -d '2020-01-01 00:00' a.md")
        var signals: [SignalPayload] = []
        for seq in 1...5 {
            var signal = try harness.signal("a.md", seq: Int64(seq), create: false)
            signal.sha256 = [UInt8(seq)]   // five different saves
            signals.append(signal)
        }
        await harness.dispatchAndWait(signals + [try harness.signal("other.md", seq: 6)])
        // Other instances run beside a.md's lane: only each instance's own order is fixed.
        let ofA = harness.results.filter { $0.instance == RawPath("a.md") }
        #expect(ofA.map(\.status) == [.exited, .exited, .exited, .skipped, .skipped])
        #expect(ofA[3].message?.contains("loop_limit") == true)
        #expect(harness.results.filter { $0.instance == RawPath("other.md") }.map(\.status) == [.exited], "another instance is not paused")
    }

    @Test("on_busy = restart: a save made while the stopped run went on is someone else's, and runs the receiver")
    func restartIsNotOwnWrite() async throws {
        let harness = try DispatcherHarness([
            // The first run goes on until it is stopped; the second ends at once.
            receiver("build", command: "touch started; if [ $FILESIGNALS_SEQ = 1 ]; then sleep 1000; fi; echo built >> builds.log", onBusy: .restart)
        ])
        await harness.dispatcher.dispatch(try harness.signal("a.md", seq: 1))
        _ = await harness.waitFor({ access(harness.folder.path + "/started", F_OK) == 0 }, seconds: 20)
        // A newer save of the file, made while the first run goes on: it stops that run, and must run the
        // receiver (the stopped run made nothing it is about).
        try harness.folder.shell("echo edited >> a.md")
        await harness.dispatchAndWait([try harness.signal("a.md", seq: 2, create: false)])
        #expect(harness.results.map(\.status) == [.skipped, .exited], "\(harness.results.map(\.message))")
        #expect(harness.read("builds.log") == "built\n")
    }

    @Test("a save held back by a loop_limit pause stays undelivered (a stop leaves it to the next start) until a newer one replaces it")
    func heldBackStaysUndelivered() async throws {
        var handlers = HandlerRegistry()
        handlers.register("count") { _ in }
        var count = receiver("count")
        count.action = .handler(name: "count", options: [:])
        let harness = try DispatcherHarness([count], loopLimit: 1, handlers: handlers)
        try harness.folder.shell("touch -d '2020-01-01 00:00' a.md")
        let delivered = Mutex<[Int64]>([])
        for seq in Int64(1)...3 {
            var signal = try harness.signal("a.md", seq: seq, create: false)
            signal.sha256 = [UInt8(seq)]
            await harness.dispatcher.dispatch(signal, delivered: { _, _ in delivered.withLock { $0.append(seq) } })
            await harness.dispatcher.waitUntilIdle()
        }
        // 1 ran; 2 was held back, then replaced by 3, which is held back now.
        #expect(harness.results.map(\.status) == [.exited, .skipped, .skipped])
        #expect(delivered.withLock { $0 } == [1, 2])
    }

    @Test("a Swift handler runs in process, and its error is reported without stopping the others")
    func swiftHandler() async throws {
        var handlers = HandlerRegistry.builtIn
        handlers.register("fails") { _ in throw CocoaError(.fileNoSuchFile) }
        var first = receiver("swift")
        first.action = .handler(name: "fails", options: [:])
        var second = receiver("log")
        second.action = .handler(name: "log", options: ["file": "signals.jsonl"])
        let harness = try DispatcherHarness([first, second], handlers: handlers)
        let signal = try harness.signal("a.md")
        await harness.dispatchAndWait([signal])
        #expect(harness.results.map(\.status) == [.error, .exited])
        #expect(harness.read("signals.jsonl") == String(decoding: signal.jsonLine(), as: UTF8.self))
    }
}
