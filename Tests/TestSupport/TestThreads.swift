// SPDX-License-Identifier: GPL-2.0-or-later
import FileSignals
import Foundation
import Testing

/// A TaskExecutor that never makes a job wait for a thread: it starts a new thread whenever every thread it has
/// is busy. A test that blocks its thread (a `poll`, a `waitpid`) then holds up nothing but itself.
///
/// Why: Swift's shared threads are as many as the cores (two here). The CLI tests block them while they wait
/// for `filesignals`; the async tests, and the dispatcher they drive, then could not run at all for a minute.
final class ThreadPerWaitExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    /// Threads waiting for a job. A thread counts as idle until it has woken, so that two jobs queued at once
    /// never count on the same thread.
    private var idleThreads = 0
    private var isClosed = false

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        let needsThread = jobs.count > idleThreads
        condition.signal()
        condition.unlock()
        if needsThread { startThread() }
    }

    /// Lets the threads end once no job is left. A job that comes later (a task that outlived its test) still
    /// runs, on a thread of its own.
    func close() {
        condition.lock()
        isClosed = true
        condition.broadcast()
        condition.unlock()
    }

    private func startThread() {
        let thread = Thread { [self] in runJobs() }
        thread.name = "test"
        thread.start()
    }

    private func runJobs() {
        condition.lock()
        while true {
            if !jobs.isEmpty {
                let job = jobs.removeFirst()
                condition.unlock()
                job.runSynchronously(on: asUnownedTaskExecutor())
                condition.lock()
            } else if isClosed {
                break
            } else {
                idleThreads += 1
                condition.wait()
                idleThreads -= 1
            }
        }
        condition.unlock()
    }
}

/// Runs each test of a suite on threads of its own (``ThreadPerWaitExecutor``) once its turn has come
/// (one of ``turns``), and records an issue when it runs longer than `timeLimit`. It replaces Swift Testing's
/// `.timeLimit`, which also counts the time a test waits for its turn.
public struct OwnThreadsTrait: SuiteTrait, TestTrait, TestScoping {
    public let timeLimit: Duration
    public var isRecursive: Bool { true }

    /// At most this many tests run at once: they start processes and watch folders, and a two-core machine given
    /// all of them together would time out every one. Waiting for a turn does not block a thread.
    private static let turns = JobSlots(count: max(4, 2 * ProcessInfo.processInfo.activeProcessorCount))

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        guard testCase != nil else { return try await function() }
        await Self.turns.acquire()
        let executor = ThreadPerWaitExecutor()
        defer { executor.close() }
        do {
            try await run(function, on: executor)
            await Self.turns.release()
        } catch {
            await Self.turns.release()
            throw error
        }
    }

    /// Runs the test on `executor`, while this task (on the shared threads) keeps the time.
    private func run(_ function: @Sendable () async throws -> Void, on executor: ThreadPerWaitExecutor) async throws {
        let limit = timeLimit
        try await withoutActuallyEscaping(function) { function in
            try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask(executorPreference: executor) {
                    try await function()
                    return true
                }
                group.addTask {
                    try? await Task.sleep(for: limit)
                    return false
                }
                if try await group.next() == false {
                    Issue.record("Time limit exceeded: the test ran for more than \(limit)")
                }
                group.cancelAll()
                while try await group.next() != nil {}
            }
        }
    }
}

extension Trait where Self == OwnThreadsTrait {
    /// Each test runs on threads of its own once its turn among the running tests has come, for at most
    /// `timeLimit` (see ``OwnThreadsTrait``).
    public static func ownThreads(timeLimit: Duration = .seconds(180)) -> Self { OwnThreadsTrait(timeLimit: timeLimit) }
}
