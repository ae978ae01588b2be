// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import TestSupport

/// The repository's own folders, found from this file's place in it.
enum Repository {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let examples = root.appendingPathComponent("examples")
    static let golden = root.appendingPathComponent("Tests/FileSignalsCLITests/Golden")
}

extension TemporaryFolder {
    /// A fresh copy of `examples/NAME`, with group and other write bits cleared (git does not keep them
    /// strictly, and a config that others can write is refused).
    static func copy(ofExample name: String) throws -> TemporaryFolder {
        let folder = try TemporaryFolder()
        try folder.shell("cp -R '\(Repository.examples.path)/\(name)/.' . && chmod -R go-w .")
        return folder
    }
}
