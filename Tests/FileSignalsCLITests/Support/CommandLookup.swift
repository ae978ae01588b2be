// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc

/// Finds programs on `PATH`, as a shell would.
enum CommandLookup {
    /// The first executable named `name` on `PATH`, or nil.
    static func find(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { access($0, X_OK) == 0 }.map(URL.init(fileURLWithPath:))
    }
}
