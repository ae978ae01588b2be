// swift-tools-version: 6.0
// SPDX-License-Identifier: GPL-2.0-or-later
import PackageDescription

// Micro-benchmarks of the hot paths, kept out of the main package so that `swift test` never builds them.
// Run: swift run -c release --package-path bench/micro micro
let package = Package(
    name: "micro",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "filesignals", path: "../..")],
    targets: [
        .executableTarget(name: "micro", dependencies: [.product(name: "FileSignals", package: "filesignals")]),
    ],
    swiftLanguageModes: [.v6]
)
