// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser

/// The `filesignals` command line: Django's signals for files, from inotify.
public struct FileSignalsCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "filesignals",
        abstract: "Django-style signals for files: pre_save, post_save, pre_delete, post_delete.",
        discussion: """
            Watches folders with inotify, groups matching files into models, and turns what happens to \
            them into one signal per save or delete, printed as JSON lines or dispatched to receivers.

            Start with: filesignals watch DIR --json    (no config needed)
            With a config: filesignals check, then filesignals watch. See filesignals(1) and filesignals.ini(5).
            """,
        version: FileSignalsCommand.version,
        subcommands: [WatchCommand.self, ScanCommand.self, SendCommand.self, LogCommand.self, RetryCommand.self, CheckCommand.self, ExplainCommand.self, LsCommand.self, InitCommand.self, StateCommand.self]
    )

    /// The version `--version` prints.
    public static let version = "0.1.0"

    public init() {}
}
