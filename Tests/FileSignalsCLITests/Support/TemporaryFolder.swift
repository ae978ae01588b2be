// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// A fresh folder under the system's temporary folder, removed when the value is released.
final class TemporaryFolder: @unchecked Sendable {
    let url: URL
    var path: String { url.path }

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/filesignals-test-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        url = URL(fileURLWithPath: String(cString: made)).resolvingSymlinksInPath()
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Runs `script` with `/bin/sh -c` in this folder and waits for it, as a user at a terminal would.
    func shell(_ script: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        process.currentDirectoryURL = url
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ShellFailed(script: script, status: process.terminationStatus) }
    }

    struct ShellFailed: Error { let script: String; let status: Int32 }
}
