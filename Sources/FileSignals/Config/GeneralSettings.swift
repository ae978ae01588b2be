// SPDX-License-Identifier: GPL-2.0-or-later

/// The `[filesignals]` section: settings for the whole bridge.
package struct GeneralSettings: Sendable, Hashable {
    /// Where the state database lives.
    package enum StateLocation: Sendable, Hashable {
        /// `.filesignals/state.db` beside the config file.
        case standard
        /// `state = none`: keep nothing across runs.
        case none
        /// A path, relative to the root when not absolute.
        case path(String)

        /// The database's path as the config means it (relative to the root unless absolute); nil for none.
        package var path: String? {
            switch self {
            case .standard: return ".filesignals/state.db"
            case .none: return nil
            case .path(let path): return path
            }
        }
    }

    /// How long a file must stay quiet before its save is reported. Default 20 ms.
    package var settle = Reconciler.Options.defaultSettle
    /// How long an instance must stay gone before its delete is reported. Default 1 s.
    package var deleteSettle = Reconciler.Options.defaultDeleteSettle
    /// The longest `settle` and `delete_settle` (and `--settle`, `--delete-settle`) accepted: a save reported
    /// an hour late is no longer a signal.
    package static let longestSettle = Duration.seconds(3600)
    /// Receiver runs at once, across all instances. Default 4.
    package var jobs = 4
    package var state: StateLocation = .standard
    /// How long finished signals stay readable by `filesignals log`. Default 7 days.
    package var journal: Duration = .seconds(7 * 86_400)
    /// Patterns added to the ignore list of every model.
    package var ignore: [String] = []
    /// Whether the default ignore list (version control, state folder, editors' files) is in force.
    package var defaultIgnore = true
    /// Runs of one receiver for one instance within 10 s before it is paused for that instance. Default 10.
    package var loopLimit = 10
    /// Do not descend into folders on another file system than the model's folder (`find -xdev`). Default no.
    package var oneFileSystem = false
    /// `digests`: whether files' content is read for a digest. Default `auto`.
    package var digests = DigestSetting.auto
    /// `metrics`: where to serve the metrics (Prometheus text format); nil for nowhere (the default).
    package var metrics: ListenAddress?
    /// `digest_limit`: the largest file whose content is read. Default 64 MiB.
    package var digestLimit = DigestPolicy.defaultSizeLimit

    package init() {}

    /// The ignore list every model starts from.
    package func exclusions() throws(GlobPatternError) -> ExclusionList {
        let added = try ExclusionList(patterns: ignore)
        return defaultIgnore ? ExclusionList.defaultIgnores.adding(added) : added
    }
}
