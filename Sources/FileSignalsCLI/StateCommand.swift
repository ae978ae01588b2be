// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import FileSignals
import Foundation
import Glibc

/// `filesignals state`: the state databases of watches started from the command line (one per set of folders
/// and patterns, under `$XDG_STATE_HOME/filesignals`), what each belongs to, its size and last use; `--prune`
/// removes those unused for a while.
struct StateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "List the state databases of watches started from the command line; --prune removes old ones.",
        discussion: """
            Each line: when it was last used, its size, what it watches, and its path. A database that a running \
            watch holds is marked (in use) and never removed. A config's own database (.filesignals/state.db \
            beside it) is not listed.
            """
    )

    @Option(help: ArgumentHelp("Remove the databases unused for longer than this: 30d, 12h.", valueName: "duration"),
            transform: { text in
                guard let duration = DurationText.parse(text) else { throw ValidationError("`\(text)` is not a duration; write it like 30d or 12h") }
                return duration
            })
    var prune: Duration?

    init() {}

    /// One database found.
    struct Entry {
        var path: String
        var bytes: Int64
        var lastUse: Date
        var inUse: Bool
        var watches: String?
    }

    func run() throws {
        let folder = WatchTarget.stateFolder
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".db") }.sorted()
        var entries = names.map { Self.entry(at: folder + "/" + $0) }
        if let prune {
            let cutoff = Date().addingTimeInterval(-Double(prune.components.seconds))
            for entry in entries where !entry.inUse && entry.lastUse < cutoff {
                for file in StateStore.files(of: entry.path) { unlink(file) }
                Log.info("removed \(entry.path) (\(entry.watches ?? "unknown folders"), last used \(Self.format(entry.lastUse)))")
            }
            entries.removeAll { !$0.inUse && $0.lastUse < cutoff }
        }
        if entries.isEmpty && prune == nil { Log.info("no state database in \(folder)") }
        let lines = entries.map { entry in
            "\(Self.format(entry.lastUse))  \(Self.size(entry.bytes))  \(entry.watches ?? "(folders not recorded)")\(entry.inUse ? " (in use)" : "")  \(entry.path)"
        }
        if !lines.isEmpty { try LineOutput.standardOutput.writeLine(lines.joined(separator: "\n")) }
    }

    static func entry(at path: String) -> Entry {
        var bytes: Int64 = 0
        var lastUse = Date(timeIntervalSince1970: 0)
        for suffix in ["", "-wal"] {
            var info = stat()
            guard stat(path + suffix, &info) == 0 else { continue }
            bytes += Int64(info.st_size)
            lastUse = max(lastUse, Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec)))
        }
        let inUse = StateStore.isHeld(path)
        var watches: String?
        if let store = try? StateStore(path: path, readOnly: true) {
            watches = try? store.description()
            store.closeCleanly()
        }
        return Entry(path: path, bytes: bytes, lastUse: lastUse, inUse: inUse, watches: watches)
    }

    static func format(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: date)
    }

    static func size(_ bytes: Int64) -> String {
        bytes >= 1_000_000 ? String(format: "%.1f MB", Double(bytes) / 1_000_000) : "\((bytes + 999) / 1000) KB"
    }
}
