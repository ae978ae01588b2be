// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// Waits for something another process does that gives no notice (a file it writes, a screen it draws):
/// looks every `interval` until `condition` holds or `seconds` have passed.
/// - Returns: whether the condition held before the deadline.
public func poll(upTo seconds: Double, every interval: Duration = .milliseconds(20), until condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        let microseconds = interval.components.seconds * 1_000_000 + interval.components.attoseconds / 1_000_000_000_000
        usleep(UInt32(microseconds))
    }
    return try condition()
}

/// ``poll(upTo:every:until:)`` for async tests, sleeping as a task between looks. Only the time the task was
/// awake to look counts against `seconds` (at most 100 ms a look): a busy machine can keep
/// it from running for long, and that must not use up its wait.
public func pollAsync(upTo seconds: Double, every interval: Duration = .milliseconds(20), until condition: () async throws -> Bool) async rethrows -> Bool {
    var left = Duration.milliseconds(Int64(seconds * 1000))
    while left > .zero {
        if try await condition() { return true }
        let before = ContinuousClock.now
        try? await Task.sleep(for: interval)
        left -= min(ContinuousClock.now - before, .milliseconds(100))
    }
    return try await condition()
}
