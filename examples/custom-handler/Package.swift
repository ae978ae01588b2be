// swift-tools-version: 6.0
// SPDX-License-Identifier: GPL-2.0-or-later
import PackageDescription

// A user's own `filesignals`: the same commands, plus a Swift handler of its own.
let package = Package(
    name: "site-signals",
    platforms: [.macOS(.v15)],
    dependencies: [
        // This repository, by relative path; a real project names its URL and a version.
        .package(name: "filesignals", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "site-signals",
            dependencies: [
                .product(name: "FileSignals", package: "filesignals"),
                .product(name: "FileSignalsCLI", package: "filesignals"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
