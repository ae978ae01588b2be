// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import TestSupport

extension TemporaryFolder {
    /// A new folder holding `notes/` and a `filesignals.ini` with `config` (mode 644: the config check refuses
    /// one that others can write).
    static func project(config: String) throws -> TemporaryFolder {
        let folder = try TemporaryFolder()
        try folder.shell("mkdir notes && cat > filesignals.ini <<'EOF'\n\(config)\nEOF\nchmod 644 filesignals.ini")
        return folder
    }
}

extension RunningCommand.Output {
    /// `receiver status` of every result line (`--results`), in order.
    var results: [String] {
        signals.filter { $0.object["type"] as? String == "result" }
            .map { "\($0.object["receiver"] as? String ?? "?") \($0.object["status"] as? String ?? "?")" }
    }
}
