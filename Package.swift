// swift-tools-version: 6.0
// SPDX-License-Identifier: GPL-2.0-or-later
import PackageDescription

let package = Package(
    name: "filesignals",
    // Linux is the target; the macOS line only tells ArgumentParser that async commands are available.
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "FileSignals", targets: ["FileSignals"]),
        .library(name: "FileSignalsCLI", targets: ["FileSignalsCLI"]),
        .executable(name: "filesignals", targets: ["filesignals"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // The state database: SQLite (the system's libsqlite3) in WAL mode.
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // SHA-256 of instances' content.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // libinotifytools (GPL-2.0-only), from Debian's libinotifytools0-dev. No pkg-config file is shipped.
        .systemLibrary(
            name: "CInotifyTools",
            providers: [.apt(["libinotifytools0-dev"])]
        ),
        // pidfd_open and posix_spawn_file_actions_addchdir_np, which Swift's Glibc module does not import.
        .target(name: "CProcessSupport"),
        .target(
            name: "FileSignals",
            dependencies: [
                "CInotifyTools",
                "CProcessSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C API, for the statements a burst runs once per row (`StatementBinding.swift`).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "FileSignalsCLI",
            dependencies: [
                "FileSignals",
                "CProcessSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "filesignals",
            dependencies: ["FileSignalsCLI"]
        ),
        // Helpers shared by both test targets: temporary folders and shell steps.
        .target(
            name: "TestSupport",
            dependencies: ["FileSignals", "CProcessSupport"],
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "FileSignalsTests",
            dependencies: ["FileSignals", "TestSupport"]
        ),
        .testTarget(
            name: "FileSignalsCLITests",
            // Depending on the executable makes `swift test` build it; the tests run it from the build folder.
            dependencies: ["filesignals", "FileSignals", "TestSupport"],
            // Expected outputs and the save styles, read from the source tree by path.
            exclude: ["Golden", "SaveStyles"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
