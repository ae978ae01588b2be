// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import Crypto
import FileSignals
import Foundation

/// What `watch`, `scan` and `log` work on: the models of the config file, or the one model made of folders
/// given on the command line, with the settings and the state database that go with them.
struct WatchTarget {
    var models: [Model]
    var settle: Duration
    var deleteSettle: Duration
    /// `one_file_system` in the config, or `--one-file-system`.
    var staysOnOneFileSystem = false
    var journalRetention: Duration
    /// The state database's path, or nil for no state.
    var statePath: String?
    /// The config, when there is one.
    var config: ProjectConfig?
    /// The config file as named, for reloading.
    var configPath: String?

    /// The folder receivers run in and name as `FILESIGNALS_ROOT`: the config's folder, or the first folder
    /// given on the command line.
    var root: RawPath { config?.root ?? models.first?.folders.first?.path ?? RawPath("/") }

    /// Resolves the command line into models, settings and a state path.
    /// - Throws: `ValidationError` (64) for contradictory options, exit 78 for a bad config, and
    ///   ``WatcherError/missingFolder(_:)`` for a folder given on the command line that does not exist.
    static func resolve(config: ConfigOptions, folders: FolderModelOptions, state: StateOptions) throws -> WatchTarget {
        var target: WatchTarget
        if let configPath = folders.folders.isEmpty ? config.chosenPath : nil {
            if !folders.matches.isEmpty || !folders.excludes.isEmpty || folders.sender != nil {
                throw ValidationError("--match, --exclude and --sender describe folders given on the command line; with a config, use its [model] sections")
            }
            let loaded = try ConfigOptions.load(path: configPath)
            if loaded.models.isEmpty {
                Log.error("\(configPath) declares no [model]; nothing to watch")
                throw ExitCodes.config
            }
            let root = loaded.root.description
            let statePath = loaded.general.state.path.map { $0.hasPrefix("/") ? $0 : root + "/" + $0 }
            target = WatchTarget(
                models: loaded.runtimeModels, settle: loaded.general.settle, deleteSettle: loaded.general.deleteSettle, journalRetention: loaded.general.journal,
                statePath: statePath, config: loaded, configPath: configPath)
        } else {
            if config.path != nil {
                throw ValidationError("give folders or -c PATH, not both: folders given on the command line form a model of their own")
            }
            let model = try folders.model()
            target = WatchTarget(
                models: [model], settle: Reconciler.Options.defaultSettle, deleteSettle: Reconciler.Options.defaultDeleteSettle, journalRetention: .seconds(7 * 86_400),
                statePath: Self.defaultStatePath(for: model), config: nil, configPath: nil)
        }
        if let configured = target.config?.general.oneFileSystem { target.staysOnOneFileSystem = configured }
        if folders.oneFileSystem { target.staysOnOneFileSystem = true }
        if state.noState { target.statePath = nil }
        if let path = state.state { target.statePath = path }
        target.keepStateOutOfModels()
        return target
    }

    /// `$XDG_STATE_HOME/filesignals/KEY.db`, one database per set of folders and patterns, so that watching
    /// a folder from the terminal never writes into it.
    static func defaultStatePath(for model: Model) -> String {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_STATE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.local/state"
        var identity = "sender=\(model.name)\n"
        for folder in model.folders { identity += "folder=\(folder.path)\n" }
        for pattern in model.match { identity += "match=\(pattern.text)\n" }
        for entry in model.exclusions.entries { identity += "exclude=\(entry.text)\n" }
        let key = ContentHash.hex(Array(SHA256.hash(data: Array(identity.utf8)))).prefix(16)
        return base + "/filesignals/\(key).db"
    }

    /// The state database must never become an instance: its writes would be reported, and each report
    /// would write it again. Its files are excluded from any model whose folders hold them.
    private mutating func keepStateOutOfModels() {
        guard let statePath else { return }
        let database = RawPath(statePath)
        models = models.map { model in
            guard let folder = model.folders.first(where: { database.relative(to: $0.path) != nil }),
                  let relative = database.relative(to: folder.path) else { return model }
            let escaped = Self.escapedForGlob(relative.description)
            let names = ["", "-wal", "-shm", "-journal", ".lock"].map { "/" + escaped + $0 }
            guard let extra = try? ExclusionList(patterns: names) else { return model }
            return Model(name: model.name, folders: model.folders, match: model.match, exclusions: model.exclusions.adding(extra), recursive: model.recursive)
        }
    }

    private static func escapedForGlob(_ text: String) -> String {
        var result = ""
        for character in text {
            if "*?[]\\".contains(character) { result.append("\\") }
            result.append(character)
        }
        return result
    }

    /// Opens the state database, or nil without state.
    /// - Throws: exit 75 when another watcher holds it, 65 when it is damaged or newer, 73 when it cannot be created.
    func openState(readOnly: Bool = false) throws -> StateStore? {
        guard let statePath else { return nil }
        do {
            return try StateStore(path: statePath, readOnly: readOnly)
        } catch {
            Log.error(error.description)
            throw ExitCodes.status(for: error)
        }
    }
}
