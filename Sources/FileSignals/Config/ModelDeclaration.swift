// SPDX-License-Identifier: GPL-2.0-or-later

/// A `[model NAME]` section: a name, folders and patterns.
package struct ModelDeclaration: Sendable, Hashable {
    /// One folder of `path`.
    package struct Folder: Sendable, Hashable {
        /// As written in the config.
        package var written: String
        /// Absolute, resolved against the root.
        package var path: RawPath
        /// What instance names in this folder start with: the folder relative to the root, or as written
        /// when it lies outside the root.
        package var instancePrefix: RawPath
        package var position: SourcePosition
        /// For a `path` naming a single file: its name, `path` being its folder (``Model/Folder/onlyFile``).
        package var onlyFile: RawPath?
    }

    package var name: String
    package var position: SourcePosition
    package var folders: [Folder]
    package var match: [GlobPattern]
    /// Exclude patterns as written (a trailing `/` names folders only).
    package var exclude: [String]
    package var recursive: Bool

    /// The model the watcher and reconciler use, with the ignore list of `general` in force.
    package func model(general: GeneralSettings) -> Model {
        // Patterns were checked when the config was read; a failure here would be a bug.
        let ignores = (try? general.exclusions()) ?? ExclusionList.defaultIgnores
        let excludes = (try? ExclusionList(patterns: exclude)) ?? ExclusionList()
        return Model(
            name: name,
            folders: folders.map { Model.Folder(path: $0.path, instancePrefix: $0.instancePrefix, onlyFile: $0.onlyFile) },
            match: match, exclusions: ignores.adding(excludes), recursive: recursive)
    }
}

/// A `[signal NAME]` section: a custom signal, fired with `filesignals send NAME`.
package struct SignalDeclaration: Sendable, Hashable {
    package var name: String
    package var position: SourcePosition
    /// The optional `description`.
    package var description: String?
}
