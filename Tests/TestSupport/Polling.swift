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
