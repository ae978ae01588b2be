// SPDX-License-Identifier: GPL-2.0-or-later
import Glibc

/// A `filesignals.ini` read and checked: its settings, models, custom signals and receivers.
package struct ProjectConfig: Sendable {
    /// The config file as the user named it.
    package var file: String
    /// The folder instance names are relative to: the config file's folder, resolved.
    package var root: RawPath
    package var general: GeneralSettings
    package var models: [ModelDeclaration]
    package var signals: [SignalDeclaration]
    package var receivers: [ReceiverDeclaration]
    /// Problems worth knowing that do not stop the config from being used.
    package var warnings: [ConfigDiagnostic]

    /// The file the bridge looks for in the current folder when no `-c` is given.
    package static let defaultFileName = "filesignals.ini"

    /// The models the watcher and reconciler use, in declaration order (the first model that owns a file
    /// gets its signals).
    package var runtimeModels: [Model] { models.map { $0.model(general: general) } }

    /// Every signal name receivers may connect to: the four model signals, then the custom ones.
    package var signalNames: [String] { ModelSignal.allCases.map(\.rawValue) + signals.map(\.name) }

    /// Reads, checks and returns the config at `path`.
    ///
    /// - Parameters:
    ///   - path: the file to read.
    ///   - file: how diagnostics name it; by default `path` as given.
    ///   - handlers: the Swift handlers a receiver may name.
    ///   - swiftSignals: custom signals made in Swift (`Signal("published")`), which a receiver may name as if
    ///     a `[signal]` section declared them.
    /// - Throws: ``ConfigError`` with every diagnostic (errors and warnings) when there is at least one error,
    ///   including a file owned by another user or writable by group or others.
    package static func load(
        path: String, file: String? = nil, handlers: [HandlerDescription] = HandlerDescription.builtIn, swiftSignals: [String] = []
    ) throws(ConfigError) -> ProjectConfig {
        let file = file ?? path
        // Opened once: the file checked is the file read (a path checked, then opened again, can be swapped).
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        guard descriptor >= 0 else {
            throw ConfigError(diagnostics: [ConfigDiagnostic(.error, file: file, at: .init(line: 1, column: 1), "cannot read the file: \(FileBytes.lastErrorDescription())")])
        }
        defer { close(descriptor) }
        // The file opened, by where it really is: its folder is the root, and the folders checked are its
        // own. Taken from the path again, a link swapped in between would lead elsewhere.
        let opened = ConfigFileSafety.location(ofOpened: descriptor) ?? path
        if let problem = ConfigFileSafety.problem(ofOpened: descriptor, given: path, at: opened, file: file) {
            throw ConfigError(diagnostics: [problem])
        }
        let (document, syntaxErrors) = IniReader.read(descriptor: descriptor, file: file)
        guard let document else { throw ConfigError(diagnostics: syntaxErrors) }
        return try load(document, syntaxErrors: syntaxErrors, root: rootFolder(of: opened), handlers: handlers, swiftSignals: swiftSignals)
    }

    /// Checks an already read document whose root is `root`.
    /// - Throws: ``ConfigError`` when `syntaxErrors` or the checks find at least one error.
    package static func load(
        _ document: IniDocument, syntaxErrors: [ConfigDiagnostic] = [], root: RawPath,
        handlers: [HandlerDescription] = HandlerDescription.builtIn, swiftSignals: [String] = []
    ) throws(ConfigError) -> ProjectConfig {
        var loader = ConfigLoader(document: document, root: root, handlers: handlers, swiftSignals: swiftSignals)
        var config = loader.load()
        let all = (syntaxErrors + loader.diagnostics).sorted { $0.position < $1.position }
        if all.contains(where: { $0.severity == .error }) { throw ConfigError(diagnostics: all) }
        config.warnings = all
        return config
    }

    /// The resolved folder that holds `path`.
    static func rootFolder(of path: String) -> RawPath {
        let folder: String
        if let slash = path.lastIndex(of: "/") {
            folder = slash == path.startIndex ? "/" : String(path[..<slash])
        } else {
            folder = "."
        }
        guard let real = realpath(folder, nil) else { return RawPath(folder) }
        defer { free(real) }
        return RawPath(cString: real)
    }
}
