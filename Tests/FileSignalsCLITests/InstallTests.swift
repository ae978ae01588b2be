// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Testing
import TestSupport

/// `make install` and `make uninstall` into a temporary prefix, with the binary this test run built.
@Suite("make install", .ownThreads(timeLimit: .seconds(60)))
struct InstallTests {
    static let installed = [
        "bin/filesignals", "share/man/man1/filesignals.1", "share/man/man5/filesignals.ini.5",
        "share/bash-completion/completions/filesignals", "share/zsh/site-functions/_filesignals",
        "share/fish/vendor_completions.d/filesignals.fish",
    ]

    @Test("installs the binary, both man pages and three completions, and uninstall removes exactly them")
    func installAndUninstall() throws {
        let make = try #require(CommandLookup.find("make"), "make is needed for the install target")
        let prefix = try TemporaryFolder()
        let arguments = ["-C", Repository.root.path, "PREFIX=" + prefix.path, "BINARY=" + BuiltBinary.url.path]
        let install = try RunningCommand(arguments + ["install"], executable: make).waitForExit()
        #expect(install.exitStatus == 0, "\(install.stderr)")
        for file in Self.installed {
            let size = (try? FileManager.default.attributesOfItem(atPath: prefix.path + "/" + file)[.size] as? Int) ?? 0
            #expect(size > 0, "\(file) missing or empty")
        }
        let version = try RunningCommand(["--version"], executable: URL(fileURLWithPath: prefix.path + "/bin/filesignals")).waitForExit()
        #expect(version.stdout == ["0.1.0"])

        let uninstall = try RunningCommand(arguments + ["uninstall"], executable: make).waitForExit()
        #expect(uninstall.exitStatus == 0)
        for file in Self.installed { #expect(!FileManager.default.fileExists(atPath: prefix.path + "/" + file), "\(file) left behind") }
    }
}
