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
        // SHA-256 of instances' content; HMAC-SHA256 of webhook signatures.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // `url =` receivers: HTTP/1.1 and HTTP/2 with keep-alive, TLS and timeouts, from the Swift server
        // ecosystem, rather than a client written here. NIO and NIOSSL for its buffers and trust roots.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // Logging: the library logs through a Logger that a program built on it configures; the CLI's handler
        // keeps the terminal format.
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // Metrics: reported through swift-metrics by the library, served in the Prometheus text format by the CLI.
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
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
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "FileSignalsCLI",
            dependencies: [
                "FileSignals",
                "CProcessSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                // The metrics endpoint: swift-nio's HTTP/1.1 server pipeline.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
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
            dependencies: ["FileSignals", "TestSupport", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "FileSignalsCLITests",
            // Depending on the executable makes `swift test` build it; the tests run it from the build folder.
            dependencies: ["filesignals", "FileSignals", "TestSupport"],
            // Expected outputs, the save styles and the CloudEvents endpoint (Python), read from the source tree by path.
            exclude: ["Golden", "SaveStyles", "CloudEventsServer"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
