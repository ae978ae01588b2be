// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Testing
import TestSupport

/// The example systemd unit says what the binary does: where it is installed, how it stops, and which exit
/// statuses a restart cannot mend.
@Suite("The systemd example", .serialized, .ownThreads(timeLimit: .seconds(60)))
struct SystemdExampleTests {
    let unit: [String: [String]]

    init() throws {
        let text = try String(contentsOf: Repository.root.appendingPathComponent("examples/systemd/filesignals.service"), encoding: .utf8)
        var settings: [String: [String]] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && line.contains("=") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            settings[parts[0], default: []].append(parts[1])
        }
        unit = settings
    }

    @Test("SIGTERM reaches filesignals alone, so that its receivers get their grace")
    func stopsTheMainProcessFirst() {
        #expect(unit["KillMode"] == ["mixed"])
        #expect(unit["KillSignal"] == ["SIGTERM"])
    }

    @Test("ExecStart is where the README's set-up line installs the binary")
    func execStartMatchesTheInstall() throws {
        let readme = try String(contentsOf: Repository.root.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("make install PREFIX=\"$HOME/.local\""))
        #expect(unit["ExecStart"]?.first?.hasPrefix("%h/.local/bin/filesignals ") == true, "\(unit["ExecStart"] ?? [])")
    }

    @Test("the statuses of a bad config, a missing folder and a bad option are not restarted every two seconds")
    func restartPreventsStatusesTheBinaryGives() throws {
        let folder = try TemporaryFolder()
        try folder.shell("printf '[model Note]\\npath = notes\\ncomand = x\\n' > filesignals.ini && chmod 644 filesignals.ini")
        let badConfig = try RunningCommand(["watch"], in: folder.url).waitForExit()
        let missingFolder = try RunningCommand(["watch", folder.path + "/nowhere"]).waitForExit()
        let badOption = try RunningCommand(["watch", "--no-such-option"]).waitForExit()
        let prevented = Set((unit["RestartPreventExitStatus"]?.first ?? "").split(separator: " ").compactMap { Int32($0) })
        for status in [badConfig.exitStatus, missingFolder.exitStatus, badOption.exitStatus] {
            let status = try #require(status)
            #expect(status != 0 && prevented.contains(status), "exit \(status) would be restarted forever: \(prevented)")
        }
    }

    @Test("both example units (user and system) use Type=notify with a watchdog, which `watch` speaks")
    func notifyWithWatchdog() throws {
        for name in ["filesignals.service", "filesignals-system.service"] {
            let text = try String(contentsOf: Repository.root.appendingPathComponent("examples/systemd/" + name), encoding: .utf8)
            let lines = text.split(separator: "\n").map(String.init)
            #expect(lines.contains("Type=notify") && lines.contains { $0.hasPrefix("WatchdogSec=") } && lines.contains("NotifyAccess=main"), "\(name)")
        }
    }
}
