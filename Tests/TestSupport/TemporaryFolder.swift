// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// A fresh folder (symlinks resolved, so paths compare equal to what the watcher reports) under the system's temporary folder, removed when the value is released.
public final class TemporaryFolder: @unchecked Sendable {
    public let url: URL
    public var path: String { url.path }

    public init() throws {
        var template = Array((NSTemporaryDirectory() + "/filesignals-test-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        url = URL(fileURLWithPath: String(cString: made)).resolvingSymlinksInPath()
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Runs `script` with `/bin/sh -c` in this folder and waits for it, as a user at a terminal would.
    /// A script still running after `timeout` is killed with its process group, and counts as failed.
    public func shell(_ script: String, timeout: Duration = .seconds(300)) throws {
        let child = try ChildProcess(["/bin/sh", "-c", script], in: path, stdout: .null)
        let status = child.wait(upTo: timeout)
        if status == nil { child.killGroup(SIGKILL) }
        guard status == 0 else { throw ShellFailed(script: script, status: status) }
    }

    /// The exit status of a script that failed; nil when it was killed at its timeout.
    public struct ShellFailed: Error { public let script: String; public let status: Int32? }
}
