// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import FileSignals
import Glibc

/// `-c PATH`: which config file to read. Without it, `./filesignals.ini` when there is one.
struct ConfigOptions: ParsableArguments {
    @Option(name: [.customShort("c"), .customLong("config")], help: ArgumentHelp("The config file (default: ./filesignals.ini).", valueName: "path"))
    var path: String?

    /// The config file to read: `-c PATH`, or `./filesignals.ini` when it exists, or nil.
    var chosenPath: String? {
        if let path { return path }
        return access(ProjectConfig.defaultFileName, F_OK) == 0 ? ProjectConfig.defaultFileName : nil
    }

    /// Reads and checks the chosen config, printing its warnings.
    /// - Throws: exit 78 after printing every diagnostic when the config has errors or there is none.
    func load() throws -> ProjectConfig {
        guard let path = chosenPath else {
            Log.error("no \(ProjectConfig.defaultFileName) in this folder; name one with -c PATH")
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
