// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import FileSignals

extension DigestSetting: ExpressibleByArgument {}

/// `--digests` and `--digest-limit`: whether files' content is read for a digest, over the config's
/// `digests` and `digest_limit`.
struct DigestOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Read files' content for a SHA-256 digest: auto (when a receiver has when = content-changed or runs in Swift, or with --json), yes or no (default: the config's, or auto).", valueName: "auto|yes|no"))
    var digests: DigestSetting?

    @Option(name: .customLong("digest-limit"),
            help: ArgumentHelp("The largest file whose content is read for a digest: 1M, 512k, 2G (default: the config's, or 64M).", valueName: "size"),
            transform: { text in
                guard let size = SizeText.parse(text) else { throw ValidationError("`\(text)` is not a size; write it like 64M, 512k or 2G") }
                return size
            })
    var digestLimit: Int64?

    /// Which files' content the bridge reads, by the one rule of ``DigestSetting/choice(limit:receivers:printsJSON:)``.
    /// - Parameter dispatcher: the receivers that will run (nil: none).
    func choice(for target: WatchTarget, dispatcher: Dispatcher?, printsJSON: Bool) -> DigestSetting.Choice {
        let general = target.config?.general ?? GeneralSettings()
        let setting = digests ?? general.digests
        let choice = setting.choice(limit: digestLimit ?? general.digestLimit, receivers: dispatcher?.registry.all ?? [], printsJSON: printsJSON)
        Log.debug("digests: \(choice.explanation)")
        for name in choice.affected {
            Log.warning("receiver \(name) has when = content-changed but digests are off: it runs for every save that changes a file's size or mtime")
        }
        return choice
    }
}
