// SPDX-License-Identifier: GPL-2.0-or-later
import FileSignals
import Logging

/// swift-log's handler for the CLI: what the library logs through its `Logger` comes out in the terminal format
/// of the rest of the log (`filesignals: warning: ...`, colours on a terminal, `-v`/`-q`, `NO_COLOR`), through the
/// same writer that never blocks. Installed by ``FileSignalsCLI/main(handlers:arguments:bootstrapsLogging:)``.
struct TerminalLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    /// Every record is passed on: `-v` and `-q` (``Log/level``) choose what is shown, as for the CLI's own lines.
    var logLevel: Logger.Level = .trace

    init(label: String) {}

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let text = event.message.description
        switch event.level {
        case .trace, .debug: Log.debug(text)
        case .info, .notice: Log.info(text)
        case .warning: Log.warning(text)
        case .error, .critical: Log.error(text)
        }
    }
}
