// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import FileSignals
import Glibc

/// `filesignals init`: write a commented starter `filesignals.ini` for the current folder.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a commented starter filesignals.ini in the current folder.",
        discussion: "It watches the folder's files as one model, File, with an example receiver left commented out. An existing filesignals.ini is never replaced (exit 73)."
    )

    init() {}

    /// The starter config: valid as it is (`filesignals check` passes), every setting at its default.
    static let starter = """
        ; filesignals.ini: which files are models, and what runs when they change.
        ; `filesignals check` validates it; `filesignals explain PATH` says what a file would get.

        [filesignals]
        ; settle = 20ms          ; how long a file must stay quiet before its save is reported
        ; delete_settle = 1s     ; how long it must stay gone before its delete is reported
        ; jobs = 4               ; receiver runs at once
        ; ignore = node_modules/ build/

        ; A model: the files of one or more folders that match its patterns. Signals name it as `sender`.
        [model File]
        path = .
        ; match = *.md *.txt
        exclude = /filesignals.ini      ; this file (add more: drafts/ *.log)

        ; A receiver: runs for the signals it is connected to. `exec` runs a program with no shell; each
        ; {placeholder} is one argument, whatever the file's name.
        ; [receiver show]
        ; signal = post_save post_delete
        ; sender = File
        ; exec = echo {signal} {instance}

        """

    func run() throws {
        let name = ProjectConfig.defaultFileName
        // Never over an existing file, nor through a link planted in its place.
        let descriptor = open(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            Log.error(errno == EEXIST ? "\(name) exists already; it is left as it is" : "cannot write \(name): \(String(cString: strerror(errno)).lowercased())")
            throw ExitCode(73)
        }
        defer { close(descriptor) }
        let bytes = Array(Self.starter.utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            Log.error("cannot write \(name): \(String(cString: strerror(errno)).lowercased())")
            throw ExitCode(73)
        }
        Log.info("wrote \(name): one model, File, of this folder's files; `filesignals check` shows it, `filesignals watch` watches it")
    }
}
