// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc
import Testing
import TestSupport

/// `make deb` (which `.ci/run` runs before the tests): a package that installs with `dpkg -i` into an empty root
/// and runs there without the Swift toolchain, depending only on Debian packages.
@Suite("The Debian package", .serialized, .ownThreads(timeLimit: .seconds(120)))
struct PackageTests {
    /// The package `make deb` made, if it did: without it (`make deb` not run) the test is skipped, and says so.
    static let package: String? = {
        let dist = Repository.root.appendingPathComponent("dist").path
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dist)) ?? []
        return names.filter { $0.hasPrefix("filesignals_") && $0.hasSuffix(".deb") }.sorted().last.map { dist + "/" + $0 }
    }()

    private func run(_ arguments: [String], in folder: String? = nil, environment: [String: String]? = nil) throws -> (status: Int32?, output: String) {
        let result = try RunningCommand(Array(arguments.dropFirst()), executable: URL(fileURLWithPath: arguments[0]), in: folder.map { URL(fileURLWithPath: $0) }, environment: environment ?? [:]).waitForExit(upTo: .seconds(60))
        return (result.exitStatus, (result.stdout + result.stderr).joined(separator: "\n"))
    }

    @Test("installs with dpkg -i into an empty root; the binary there links no Swift library, depends on Debian packages only, and watches",
          .enabled(if: PackageTests.package != nil))
    func installsAndRunsWithoutToolchain() throws {
        let package = try #require(Self.package)
        let info = try run(["/usr/bin/dpkg-deb", "-I", package])
        let depends = try #require(info.output.split(separator: "\n").first { $0.contains("Depends:") }.map(String.init), "\(info.output)")
        #expect(depends.contains("libinotifytools0") && depends.contains("libc6") && !depends.lowercased().contains("swift"), "\(depends)")

        let root = try TemporaryFolder()
        try root.shell("mkdir -p var/lib/dpkg/info var/lib/dpkg/updates && touch var/lib/dpkg/status")
        // The empty root has none of the dependencies: they are the host's, which the binary then uses.
        let installed = try run(["/usr/bin/dpkg", "--root=\(root.path)", "--force-depends", "--force-not-root", "--log=/dev/null", "-i", package])
        #expect(installed.status == 0, "\(installed.output)")
        let binary = root.path + "/usr/bin/filesignals"
        for file in ["/usr/share/man/man1/filesignals.1", "/usr/share/man/man5/filesignals.ini.5", "/usr/share/bash-completion/completions/filesignals", "/usr/share/doc/filesignals/copyright"] {
            #expect(access(root.path + file, R_OK) == 0, "\(file) is not installed")
        }
        let libraries = try run(["/usr/bin/ldd", binary])
        #expect(!libraries.output.contains("libswift") && !libraries.output.contains("/opt/swift") && !libraries.output.contains("not found"), "\(libraries.output)")
        let dynamic = try run(["/usr/bin/readelf", "-d", binary])
        #expect(!dynamic.output.contains("swift"), "a run path into the toolchain: \(dynamic.output)")
        // Runs with nothing of the toolchain on its paths.
        let clean = ["PATH": "/usr/bin:/bin", "LD_LIBRARY_PATH": "", "XDG_STATE_HOME": TestStateHome.path]
        let version = try run([binary, "--version"], environment: clean)
        #expect(version.status == 0 && version.output.contains("0."), "\(version.output)")
        let watched = try TemporaryFolder()
        let watch = try RunningCommand(["watch", watched.path, "--json", "--no-state"], executable: URL(fileURLWithPath: binary), environment: clean)
        try #require(watch.waitUntilReady(), "\(watch.snapshot.stderr)")
        try watched.shell("echo hi > a.md")
        #expect(watch.wait { $0.signals.contains { $0.signal == "post_save" } }.summary.contains("post_save a.md created:true"))
        _ = watch.stopCleanly()
    }
}
