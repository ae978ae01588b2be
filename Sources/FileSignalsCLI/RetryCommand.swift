// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import FileSignals
import Glibc

/// `filesignals retry`: dead deliveries of url receivers made pending again.
struct RetryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Send dead deliveries of url receivers again.",
        discussion: """
            A url receiver's delivery is dead when its endpoint refused it (an answer other than 2xx, 408, 429 \
            or 5xx) or kept failing for longer than retry_for; `filesignals log --dead` lists them, with why. \
            retry makes them pending again: the running `filesignals watch` on the same state (told by SIGUSR1) \
            sends them at once, in order with what else waits; otherwise the next `watch` does.
            """
    )

    @OptionGroup var config: ConfigOptions

    @OptionGroup(title: "State")
    var state: StateOptions

    @Option(help: ArgumentHelp("Only this receiver's dead deliveries (its name, or dispatch_uid).", valueName: "name"))
    var receiver: String?

    init() {}

    func run() throws {
        let target: WatchTarget
        do {
            target = try WatchTarget.resolve(config: config, folders: try FolderModelOptions.parse([]), state: state)
        } catch let error as WatcherError {
            Log.error(error.description)
            throw ExitCodes.status(for: error)
        }
        // Without the lock, which a running watch holds: SQLite's own locking orders the two writers.
        guard let store = try target.openState(readOnly: true) else {
            throw ValidationError("there is no outbox without state (state = none)")
        }
        defer { store.closeCleanly() }
        let count: Int
        do {
            count = try store.retryDead(receiver: receiver)
        } catch {
            Log.error(error.description)
            throw ExitCodes.status(for: error)
        }
        let what = "\(count) dead deliver\(count == 1 ? "y" : "ies")" + (receiver.map { " of \($0)" } ?? "")
        guard count > 0 else {
            Log.info("no dead delivery" + (receiver.map { " of \($0)" } ?? ""))
            return
        }
        if let path = target.statePath, let holder = StateStore.holder(of: path) {
            kill(holder, SIGUSR1)
            Log.info("\(what) made pending again; the running filesignals (pid \(holder)) sends them now")
        } else {
            Log.info("\(what) made pending again; the next `filesignals watch` sends them")
        }
    }
}
