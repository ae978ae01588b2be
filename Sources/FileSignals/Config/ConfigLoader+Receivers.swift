// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

extension ConfigLoader {
    /// Reads a `[receiver NAME]` section; nil when it has errors.
    mutating func readReceiver(_ section: IniSection, modelNames: [String], signalNames: [String]) -> ReceiverDeclaration? {
        let errorsBefore = diagnostics.count
        let title = section.title

        var signals: [String] = []
        if let entry = section.entry("signal") {
            if entry.value.items.isEmpty { error(entry.value.position, "`signal` needs at least one signal name") }
            for item in entry.value.items {
                if signalNames.contains(item.text) {
                    signals.append(item.text)
                } else {
                    error(item.position, "unknown signal `\(item.text)`\(NearestWord.hint(for: item.text, among: signalNames)); declare it with [signal \(item.text)] or use one of pre_save, post_save, pre_delete, post_delete")
                }
            }
        } else {
            missing(in: section, "\(title) needs `signal`: the signals it receives")
        }

        var senders: [String] = []
        let onlyCustomSignals = !signals.isEmpty && signals.allSatisfy { ModelSignal(rawValue: $0) == nil }
        for item in section.entry("sender")?.value.items ?? [] {
            if modelNames.contains(item.text) || onlyCustomSignals {
                senders.append(item.text)
            } else {
                error(item.position, "unknown sender `\(item.text)`\(NearestWord.hint(for: item.text, among: modelNames)); a sender of model signals is a model declared with [model \(item.text)]")
            }
        }

        let action = readAction(section)

        var receiver = ReceiverDeclaration(
            name: section.name ?? "", position: section.position, signals: signals, senders: senders,
            action: action ?? .command(""))
        if let entry = section.entry("timeout") {
            if entry.value.text == "none" {
                receiver.timeout = nil
            } else if let value = duration(entry, allowZero: false) {
                receiver.timeout = value
            }
        }
        if case .url(var settings) = receiver.action, let entry = section.entry("timeout") {
            if entry.value.text == "none" {
                error(entry.value.position, "a url receiver's `timeout` bounds each request; `none` would let one hang for ever")
            } else if let timeout = receiver.timeout {
                settings.requestTimeout = timeout
                receiver.action = .url(settings)
            }
        }
        if let entry = section.entry("on_busy"), let value = choice(entry, ReceiverDeclaration.BusyPolicy.allCases.map(\.rawValue)) {
            receiver.onBusy = ReceiverDeclaration.BusyPolicy(rawValue: value)!
        }
        if let entry = section.entry("when"), let value = choice(entry, ReceiverDeclaration.Condition.allCases.map(\.rawValue)) {
            receiver.when = ReceiverDeclaration.Condition(rawValue: value)!
            if receiver.when != .always, !signals.contains(ModelSignal.postSave.rawValue) {
                warning(entry.position, "`when = \(value)` only applies to post_save, which \(title) does not receive")
            }
        }
        if let entry = section.entry("robust"), let value = boolean(entry) { receiver.robust = value }
        if receiver.urlSettings == nil {
            for key in Self.urlKeys {
                if let entry = section.entry(key) { error(entry.position, "`\(key)` is for url receivers") }
            }
        }
        if receiver.urlSettings == nil, let entry = section.entry("batch"), let value = boolean(entry), value {
            receiver.batch = true
            switch action {
            case .exec(let words):
                for case .placeholderInBatch(let name) in ExecWords.refusals(of: words, batch: true) {
                    error(entry.position, "\(title) has batch = yes and `exec` with `{\(name)}`: " + ExecWords.Refusal.placeholderInBatch(name).message(for: words))
                }
            case .handler: error(entry.position, "`batch` needs `command` or `exec`: a handler is called for each signal")
            default: break
            }
        }
        if let entry = section.entry("dispatch_uid") {
            if entry.value.text.isEmpty { error(entry.value.position, "`dispatch_uid` is empty") }
            receiver.dispatchUID = entry.value.text
        }
        if let entry = section.entry("cwd") {
            if entry.value.text.isEmpty { error(entry.value.position, "`cwd` is empty; leave it out to run in the root") }
            receiver.cwd = entry.value.text
        }
        if let entry = section.entry("env") {
            for item in entry.value.items {
                if let variable = environmentEntry(item) { receiver.environment.append(variable) }
            }
        }
        guard action != nil, diagnostics[errorsBefore...].allSatisfy({ $0.severity != .error }) else { return nil }
        return receiver
    }

    /// Exactly one of `command`, `exec` and `handler`.
    private mutating func readAction(_ section: IniSection) -> ReceiverDeclaration.Action? {
        let present = section.entries.filter { ["command", "exec", "handler", "url"].contains($0.key) }
        var kinds: [String] = []
        for entry in present where !kinds.contains(entry.key) { kinds.append(entry.key) }
        guard let entry = present.first else {
            missing(in: section, "\(section.title) needs one of `command`, `exec`, `handler` or `url`: what to run")
            return nil
        }
        if kinds.count > 1, let second = present.first(where: { $0.key != entry.key }) {
            error(second.position, "\(section.title) has both `\(entry.key)` and `\(second.key)`; keep one")
            return nil
        }
        switch entry.key {
        case "command":
            guard !entry.value.text.isEmpty else {
                error(entry.value.position, "`command` is empty; expected a shell command")
                return nil
            }
            return .command(entry.value.text)
        case "exec":
            return readExec(entry)
        case "url":
            return readURL(entry, section)
        default:
            return readHandler(entry, section)
        }
    }

    private mutating func readExec(_ entry: IniEntry) -> ReceiverDeclaration.Action? {
        let words: [String]
        do throws(ExecWords.Problem) {
            words = try ExecWords.split(entry.value.raw)
        } catch {
            self.error(entry.value.position(atOffset: error.offset), error.message)
            return nil
        }
        guard !words.isEmpty else {
            error(entry.value.position, "`exec` is empty; expected a program and its arguments")
            return nil
        }
        let refusals = ExecWords.refusals(of: words)
        for refusal in refusals {
            var position = entry.value.position
            if case .unknownPlaceholder(let name) = refusal, let range = entry.value.raw.range(of: "{" + name + "}") {
                position = entry.value.position(atOffset: entry.value.raw.distance(from: entry.value.raw.startIndex, to: range.lowerBound))
            }
            error(position, refusal.message(for: words))
        }
        return refusals.isEmpty ? .exec(words) : nil
    }

    private mutating func readHandler(_ entry: IniEntry, _ section: IniSection) -> ReceiverDeclaration.Action? {
        let name = entry.value.text
        guard let handler = handlers.first(where: { $0.name == name }) else {
            let names = handlers.map(\.name)
            error(entry.value.position, "unknown handler `\(name)`\(NearestWord.hint(for: name, among: names)); known handlers: \(names.joined(separator: ", "))")
            return nil
        }
        var options: [String: String] = [:]
        let ownKeys = Self.keys["receiver"] ?? []
        for option in section.entries where !ownKeys.contains(option.key) {
            options[option.key] = option.value.text
        }
        var valid = true
        for required in handler.requiredOptions where options[required] == nil {
            missing(in: section, "handler `\(name)` of \(section.title) needs `\(required)`")
            valid = false
        }
        return valid ? .handler(name: name, options: options) : nil
    }

    /// `KEY=VALUE` of `env`.
    private mutating func environmentEntry(_ item: IniValue.Item) -> ReceiverDeclaration.EnvironmentEntry? {
        guard let equals = item.text.firstIndex(of: "=") else {
            error(item.position, "`\(item.text)` is not KEY=VALUE; quote an item that holds spaces: NAME=\"a b\"")
            return nil
        }
        let name = String(item.text[..<equals])
        let isName = name.first.map { $0 == "_" || ($0.isASCII && $0.isLetter) } == true
            && name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
        guard isName else {
            error(item.position, "`\(name)` is not an environment variable name; expected letters, digits and `_`, not starting with a digit")
            return nil
        }
        guard !name.hasPrefix("FILESIGNALS_") else {
            error(item.position, "`\(name)` is set by filesignals for every run; choose another name")
            return nil
        }
        return .init(name: name, value: String(item.text[item.text.index(after: equals)...]))
    }

    /// Two receivers under one key (one `dispatch_uid`, or a `dispatch_uid` that is another's name) make one
    /// delivery for a signal both would get, to the first, as Django's `connect` takes them for one. A later
    /// one that every such signal reaches the first for (``ReceiverDeclaration/isCovered(by:)``) is dropped;
    /// one that shares only some is kept for the rest; both are reported.
    mutating func removingDuplicateDispatchUIDs(_ receivers: [ReceiverDeclaration]) -> [ReceiverDeclaration] {
        var kept: [ReceiverDeclaration] = []
        for receiver in receivers {
            guard let first = kept.first(where: receiver.sharesDeliveries(with:)) else {
                kept.append(receiver)
                continue
            }
            if receiver.isCovered(by: first) {
                if let uid = receiver.dispatchUID, first.dispatchUID == uid {
                    warning(receiver.position, "receiver `\(receiver.name)` has the dispatch_uid `\(uid)` and senders of receiver `\(first.name)` (line \(first.position.line)): it is the same receiver and is ignored")
                } else {
                    warning(receiver.position, "receiver `\(receiver.name)` is known as `\(receiver.deliveryKey)`, as receiver `\(first.name)` (line \(first.position.line)) is, for every signal it gets: it is taken for the same receiver and is ignored; give one of them a dispatch_uid of its own")
                }
                continue
            }
            warning(receiver.position, "receiver `\(receiver.name)` is known as `\(receiver.deliveryKey)`, as receiver `\(first.name)` (line \(first.position.line)) is: a signal both would get runs `\(first.name)` only; give one of them a dispatch_uid of its own")
            kept.append(receiver)
        }
        return kept
    }

    /// A handler that writes into a model it reads fires itself: each copy `mirror` makes, or each line `log`
    /// appends, is a save of an instance, which is mirrored or logged again, without end. Such a target (what
    /// the handler's description says it ``HandlerDescription/writes``) is refused, unless the model leaves it
    /// out (an `exclude`, `match` patterns it cannot meet, or a model that is not recursive).
    mutating func refuseWritesIntoOwnModels(_ receivers: [ReceiverDeclaration], models: [Model], sections: [IniSection]) {
        for receiver in receivers {
            guard case .handler(let name, let options) = receiver.action,
                  let writes = handlers.first(where: { $0.name == name })?.writes else { continue }
            let key: String, writesOneFile: Bool
            switch writes {
            case .file(let option): (key, writesOneFile) = (option, true)
            case .folder(let option): (key, writesOneFile) = (option, false)
            }
            guard let value = options[key], !value.isEmpty,
                  let entry = sections.first(where: { $0.kind == "receiver" && $0.name == receiver.name })?.entry(key)
            else { continue }
            let target = value.hasPrefix("/") ? RawPath(value) : root.appending(RawPath(value))
            for model in models where receiver.listens(to: model.name) {
                guard let location = model.location(of: target) else { continue }
                // A log writes the one file; a mirror writes files below its folder, under the instances' names.
                let writesAnInstance = writesOneFile
                    ? model.includesFile(location.relativePath)
                    : model.includesFolder(location.relativePath)
                guard writesAnInstance else { continue }
                error(entry.value.position, """
                    `\(key) = \(value)` is inside model \(model.name), which \(receiver.name) receives signals of: each \
                    write of \(name) would be a save of an instance, and fire it again without end; put it outside \
                    the model's folders, or leave it out of the model (exclude = \(value)\(writesOneFile ? "" : "/"))
                    """)
                break
            }
        }
    }
}
