// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import Foundation
import FileSignals
import Glibc

/// `-c PATH`: which config file to read. Without it, the nearest `filesignals.ini`, as git finds `.git`.
struct ConfigOptions: ParsableArguments {
    @Option(name: [.customShort("c"), .customLong("config")], help: ArgumentHelp("The config file (default: the nearest filesignals.ini in this folder or one above it).", valueName: "path"))
    var path: String?

    /// The config file to read: `-c PATH`, or the nearest `filesignals.ini` in the current folder or a folder
    /// above it, or nil.
    var chosenPath: String? {
        if let path { return path }
        if access(ProjectConfig.defaultFileName, F_OK) == 0 { return ProjectConfig.defaultFileName }
        return Self.nearestConfig(above: FileManager.default.currentDirectoryPath)
    }

    /// The nearest `filesignals.ini` in a folder above `folder`. One that belongs to another user (and not to
    /// root) is passed over with a warning: a config runs commands, and whoever can write a folder above this
    /// one (`/tmp`) must not choose them.
    static func nearestConfig(above folder: String) -> String? {
        var current = (folder as NSString).deletingLastPathComponent
        while !current.isEmpty {
            let candidate = (current == "/" ? "" : current) + "/" + ProjectConfig.defaultFileName
            var info = stat()
            if lstat(candidate, &info) == 0 {
                if info.st_uid == geteuid() || info.st_uid == 0 { return candidate }
                Log.warning("\(candidate) belongs to another user (uid \(info.st_uid)); not read (name it with -c to use it)")
            }
            if current == "/" { return nil }
            current = (current as NSString).deletingLastPathComponent
        }
        return nil
    }

    /// Reads and checks the chosen config, printing its warnings.
    /// - Throws: exit 78 after printing every diagnostic when the config has errors or there is none.
    func load() throws -> ProjectConfig {
        guard let path = chosenPath else {
            Log.error("no \(ProjectConfig.defaultFileName) in this folder or above it; name one with -c PATH")
            throw ExitCodes.config
        }
        return try Self.load(path: path)
    }

    /// Reads and checks the config at `path`, printing its warnings.
    /// - Throws: exit 78 after printing every diagnostic when the config has errors.
    static func load(path: String) throws -> ProjectConfig {
        do {
            let config = try ProjectConfig.load(
                path: path, handlers: FileSignalsCLI.handlers.descriptions, swiftSignals: SignalRegistry.shared.signalNames)
            Log.diagnostics(config.warnings)
            return config
        } catch {
            Log.diagnostics(error.diagnostics)
            let count = error.diagnostics.filter { $0.severity == .error }.count
            Log.error("\(count) error\(count == 1 ? "" : "s") in \(path)")
            throw ExitCodes.config
        }
    }
}
