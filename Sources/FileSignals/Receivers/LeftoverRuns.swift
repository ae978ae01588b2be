// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc

/// What a bridge killed with `kill -9` left running. Every receiver run of a bridge with a state database
/// carries `FILESIGNALS_STATE`, the database's absolute path; the next bridge on that database (which holds its
/// lock, so no other bridge runs on it) stops those processes' groups before it makes their deliveries again,
/// so that a run never overlaps its own rerun, nor outlives its timeout by the time the bridge was down.
enum LeftoverRuns {
    /// The variable that marks a run with its bridge's state database.
    static let variable = "FILESIGNALS_STATE"

    /// `FILESIGNALS_STATE=/abs/path/state.db` for the database at `path`.
    static func marker(forState path: String) -> [UInt8] { Array("\(variable)=".utf8) + absolute(path) }

    /// `path` made absolute against the current folder, so that the same relative path used elsewhere never
    /// names this database.
    private static func absolute(_ path: String) -> [UInt8] {
        let absolute = absolutePath(path)
        return Array((absolute as NSString).standardizingPath.utf8)
    }

    /// Kills the process group of every process of this user marked with the database at `path`.
    /// - Returns: how many processes were found.
    @discardableResult
    static func stop(forState path: String) -> Int {
        let database = absolute(path)
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return 0 }
        var found = 0
        for entry in entries {
            guard let pid = pid_t(entry), pid != getpid(),
                  StrayProcesses.value(of: variable, inEnvironmentOf: pid) == database else { continue }
            found += 1
            let group = getpgid(pid)
            // Receivers run in groups of their own: the group is the run. Never this process's own group.
            if group > 0 && group != getpgrp() { kill(-group, SIGKILL) } else { kill(pid, SIGKILL) }
        }
        return found
    }
}
