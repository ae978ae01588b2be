// SPDX-License-Identifier: GPL-2.0-or-later
import CProcessSupport
import Foundation
import Glibc
import Synchronization

/// Finds and stops what a receiver started outside its own process group (`setsid`, `setpgid(0, 0)`, a
/// shell's `set -m` job), which the SIGKILL its run's group gets at the end does not reach.
///
/// filesignals makes itself a child subreaper (`PR_SET_CHILD_SUBREAPER`): what a receiver leaves behind is
/// re-parented to it when its parent exits, instead of to init. Each run's environment carries
/// `FILESIGNALS_RUN_ID`, which its descendants inherit. When a run has ended, every child of filesignals
/// whose `FILESIGNALS_RUN_ID` is that of a run no longer going is killed and reaped; its own children then
/// come to filesignals in turn, and go the same way. Processes the embedding program starts itself carry no
/// such id and are never touched.
///
/// A zombie re-parented here is reaped when it is in another session than this process (it escaped with
/// `setsid` and ended before it was found).
///
/// What remains possible: a process that clears its environment (`env -i`), moves to another cgroup, or
/// has a living parent outside the run (a daemon handed to another service) is out of reach; a process
/// that left its group but not its session (`set -m`) and ended before it was found stays a zombie until
/// filesignals exits.
enum StrayProcesses {
    /// The name of the variable that marks a run's processes.
    static let variable = "FILESIGNALS_RUN_ID"

    private static let state = Mutex((nextRun: 1, running: Set<Int>(), sweepScheduled: false))
    private static let isSubreaper: Bool = filesignals_become_subreaper() == 0

    /// Registers a run about to start. - Returns: its id, for its environment and ``runEnded(_:)``.
    static func runStarting() -> Int {
        _ = isSubreaper
        return state.withLock { state in
            defer { state.nextRun += 1 }
            state.running.insert(state.nextRun)
            return state.nextRun
        }
    }

    /// Called once a run's process and its group (`group`, nil when it never started) were killed and its
    /// process reaped: kills and reaps the strays of every ended run, and reaps what of the run's group was
    /// re-parented here (as a subreaper, its zombies are ours to reap).
    static func runEnded(_ run: Int, group: pid_t?) {
        state.withLock { _ = $0.running.remove(run) }
        guard isSubreaper else { return }
        sweep(groups: group.map { [$0] } ?? [])
        // A stray may come here a moment after the run's end (`setsid` forks, and its child is handed over
        // only when the forking process has exited): look again a little later, once per burst of runs.
        let schedules = state.withLock { state in
            defer { state.sweepScheduled = true }
            return !state.sweepScheduled
        }
        guard schedules else { return }
        DispatchQueue.global().asyncAfter(deadline: .now() + 1) {
            state.withLock { $0.sweepScheduled = false }
            sweep(groups: [])
        }
    }

    /// Kills and reaps the strays of ended runs found among this process's children; `groups` are process
    /// groups whose members are all strays.
    private static func sweep(groups: Set<pid_t>) {
        var groups = groups
        // Killing a stray hands its own children to us: a few rounds reach a whole tree.
        for _ in 0..<16 {
            let found = children()
            // Read after the children: a run is registered before its process starts, so every process found
            // with the id of a run that is going is known to be one.
            let running = state.withLock { $0.running }
            let ownSession = getsid(0)
            let strays = found.filter { child in
                groups.contains(child.group)
                    || runID(of: child.pid).map { !running.contains($0) } ?? false
                    // A zombie that started a session of its own (`setsid`) is an escaped process that ended
                    // before it was found: its environment is gone, but receivers and whatever the embedding
                    // program starts stay in this process's session.
                    || (child.isZombie && child.session != ownSession)
            }
            if strays.isEmpty { return }
            for stray in strays {
                // What it leaves (zombies, whose environment can no longer be read) is in its group.
                groups.insert(stray.group)
                kill(stray.pid, SIGKILL)
                var status: Int32 = 0
                while waitpid(stray.pid, &status, 0) < 0 && errno == EINTR {}
            }
        }
    }

    /// This process's children (from `/proc/self/task/*/children`, a line per thread) and their groups.
    private static func children() -> [(pid: pid_t, group: pid_t, session: pid_t, isZombie: Bool)] {
        guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") else { return [] }
        let pids = tasks.flatMap { task in
            ((try? String(contentsOfFile: "/proc/self/task/\(task)/children", encoding: .utf8)) ?? "")
                .split(separator: " ").compactMap { pid_t($0) }
        }
        return pids.compactMap { pid in
            // After "pid (comm)": state, ppid, pgrp, session. The name may hold spaces and parentheses; the last
            // ")" ends it.
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 3, let group = pid_t(fields[2]), let session = pid_t(fields[3]) else { return nil }
            return (pid, group, session, fields[0] == "Z")
        }
    }

    /// The `FILESIGNALS_RUN_ID` a process was started with, if any.
    private static func runID(of pid: pid_t) -> Int? {
        value(of: variable, inEnvironmentOf: pid).flatMap { Int(String(decoding: $0, as: UTF8.self)) }
    }

    /// The value of `name` in the environment process `pid` was started with (`/proc/PID/environ`), if any.
    static func value(of name: String, inEnvironmentOf pid: pid_t) -> [UInt8]? {
        guard let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return nil }
        let prefix = Array((name + "=").utf8)
        return environment.split(separator: 0).first { $0.starts(with: prefix) }.map { Array($0.dropFirst(prefix.count)) }
    }
}
