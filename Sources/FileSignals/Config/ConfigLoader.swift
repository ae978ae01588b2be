// SPDX-License-Identifier: GPL-2.0-or-later

/// Gives meaning to an ``IniDocument``: checks section kinds, keys and values, and builds the typed
/// settings, collecting every problem instead of stopping at the first.
struct ConfigLoader {
    let document: IniDocument
    let root: RawPath
    let handlers: [HandlerDescription]
    /// Custom signals made in Swift, which receivers may name as if declared.
    let swiftSignals: [String]
    private(set) var diagnostics: [ConfigDiagnostic] = []

    /// The section kinds and the keys each one takes.
    static let keys: [String: [String]] = [
        "filesignals": ["settle", "delete_settle", "jobs", "state", "journal", "ignore", "default_ignore", "loop_limit", "one_file_system", "digests", "digest_limit", "metrics"],
        "model": ["path", "match", "exclude", "recursive"],
        "signal": ["description"],
        "receiver": ["signal", "sender", "command", "exec", "handler", "timeout", "on_busy", "when", "robust", "dispatch_uid", "cwd", "env", "batch", "url", "format", "source", "type_prefix", "retry_for", "secret_file", "token_file", "ca_file"],
    ]
    static let kinds = ["filesignals", "model", "signal", "receiver"]

    init(document: IniDocument, root: RawPath, handlers: [HandlerDescription], swiftSignals: [String] = []) {
        self.document = document
        self.root = root
        self.handlers = handlers
        self.swiftSignals = swiftSignals
    }

    mutating func load() -> ProjectConfig {
        let sections = validSections()
        var general = GeneralSettings()
        if let section = sections.first(where: { $0.kind == "filesignals" }) { general = readGeneral(section) }
        let signals = sections.filter { $0.kind == "signal" }.map(readSignal)
        var models: [ModelDeclaration] = []
        for section in sections where section.kind == "model" {
            if let model = readModel(section, general: general) { models.append(model) }
        }
        let modelNames = sections.filter { $0.kind == "model" }.compactMap(\.name)
        var receivers: [ReceiverDeclaration] = []
        for section in sections where section.kind == "receiver" {
            if let receiver = readReceiver(section, modelNames: modelNames, signalNames: ModelSignal.allCases.map(\.rawValue) + signals.map(\.name) + swiftSignals) {
                receivers.append(receiver)
            }
        }
        receivers = removingDuplicateDispatchUIDs(receivers)
        if general.state == .none {
            for receiver in receivers where receiver.urlSettings != nil {
                error(receiver.position, "[receiver \(receiver.name)] sends to a url from the state database's outbox, and `state = none` keeps none")
            }
        }
        refuseWritesIntoOwnModels(receivers, models: models.map { $0.model(general: general) }, sections: sections)
        return ProjectConfig(
            file: document.file, root: root, general: general, models: models, signals: signals,
            receivers: receivers, warnings: [])
    }

    // MARK: Diagnostics

    mutating func error(_ position: SourcePosition, _ message: String) {
        diagnostics.append(ConfigDiagnostic(.error, file: document.file, at: position, message))
    }

    /// Reports a key that `section` lacks, unless a syntax error in the section may have hidden it.
    mutating func missing(in section: IniSection, _ message: String) {
        if !section.isDamaged { error(section.position, message) }
    }

    mutating func warning(_ position: SourcePosition, _ message: String) {
        diagnostics.append(ConfigDiagnostic(.warning, file: document.file, at: position, message))
    }

    // MARK: Sections

    /// The sections whose kind and name are right, without duplicates; the others are reported.
    private mutating func validSections() -> [IniSection] {
        var seen: [String: IniSection] = [:]
        var valid: [IniSection] = []
        for section in document.sections where !section.kind.isEmpty {   // an empty kind: the header was unreadable
            guard Self.kinds.contains(section.kind) else {
                error(section.position, "unknown section kind `\(section.kind)`\(NearestWord.hint(for: section.kind, among: Self.kinds)); expected [filesignals], [model NAME], [signal NAME] or [receiver NAME]")
                continue
            }
            if section.kind == "filesignals", section.name != nil {
                error(section.namePosition ?? section.position, "[filesignals] takes no name")
                continue
            }
            if section.kind != "filesignals", section.name == nil {
                error(section.position, "[\(section.kind)] needs a name: [\(section.kind) NAME]")
                continue
            }
            if section.kind == "signal", let name = section.name, ModelSignal(rawValue: name) != nil {
                error(section.namePosition ?? section.position, "`\(name)` is a built-in model signal; a custom signal needs another name")
                continue
            }
            let identity = section.kind + " " + (section.name ?? "")
            if let first = seen[identity] {
                error(section.position, "duplicate section \(section.title); the first is on line \(first.position.line)")
                continue
            }
            seen[identity] = section
            checkKeys(of: section)
            valid.append(section)
        }
        return valid
    }

    /// Reports unknown and duplicate keys. Receivers with a handler also take the handler's options.
    private mutating func checkKeys(of section: IniSection) {
        var allowed = Self.keys[section.kind] ?? []
        if section.kind == "receiver", let handlerName = section.entry("handler")?.value.text,
           let handler = handlers.first(where: { $0.name == handlerName }) {
            guard let options = handler.options else {
                checkDuplicateKeys(of: section)
                return
            }
            allowed += options
        }
        for entry in section.entries where !allowed.contains(entry.key) {
            error(entry.position, "unknown key `\(entry.key)` in \(section.title)\(NearestWord.hint(for: entry.key, among: allowed))")
        }
        checkDuplicateKeys(of: section)
    }

    private mutating func checkDuplicateKeys(of section: IniSection) {
        var firstLine: [String: Int] = [:]
        for entry in section.entries {
            if let line = firstLine[entry.key] {
                error(entry.position, "duplicate key `\(entry.key)` in \(section.title); the first is on line \(line)")
            } else {
                firstLine[entry.key] = entry.position.line
            }
        }
    }

    // MARK: [filesignals]

    private mutating func readGeneral(_ section: IniSection) -> GeneralSettings {
        var general = GeneralSettings()
        if let entry = section.entry("settle"), let value = duration(entry, allowZero: true, atMost: GeneralSettings.longestSettle) { general.settle = value }
        if let entry = section.entry("delete_settle"), let value = duration(entry, allowZero: true, atMost: GeneralSettings.longestSettle) { general.deleteSettle = value }
        if let entry = section.entry("jobs"), let value = integer(entry, in: 1...256) { general.jobs = value }
        if let entry = section.entry("journal"), let value = duration(entry, allowZero: true) { general.journal = value }
        if let entry = section.entry("loop_limit"), let value = integer(entry, in: 1...10_000) { general.loopLimit = value }
        if let entry = section.entry("default_ignore"), let value = boolean(entry) { general.defaultIgnore = value }
        if let entry = section.entry("one_file_system"), let value = boolean(entry) { general.oneFileSystem = value }
        if let entry = section.entry("digests") {
            if let value = DigestSetting(rawValue: entry.value.text) {
                general.digests = value
            } else {
                let known = DigestSetting.allCases.map(\.rawValue)
                error(entry.value.position, "`\(entry.value.text)` is not a digests setting\(NearestWord.hint(for: entry.value.text, among: known)); expected auto, yes or no")
            }
        }
        if let entry = section.entry("digest_limit") {
            if let value = SizeText.parse(entry.value.text) {
                general.digestLimit = value
            } else {
                error(entry.value.position, "`\(entry.value.text)` is not a size; expected a whole number of bytes, or one followed by k, M or G, such as 64M")
            }
        }
        if let entry = section.entry("metrics") {
            if let address = ListenAddress(entry.value.text) {
                general.metrics = address
            } else {
                error(entry.value.position, "`\(entry.value.text)` is not an address to listen on; expected HOST:PORT, such as 127.0.0.1:9464")
            }
        }
        if let entry = section.entry("state") {
            switch entry.value.text {
            case "": error(entry.value.position, "`state` needs a path, or `none` to keep no state")
            case "none": general.state = .none
            case let path: general.state = .path(path)
            }
        }
        if let entry = section.entry("ignore") {
            general.ignore = entry.value.items.compactMap { exclusionPattern($0) }
        }
        return general
    }

    // MARK: [signal NAME]

    private func readSignal(_ section: IniSection) -> SignalDeclaration {
        SignalDeclaration(name: section.name ?? "", position: section.position, description: section.entry("description")?.value.text)
    }

    // MARK: Values

    /// A duration of at most `longest`; `allowZero` accepts `0`.
    mutating func duration(_ entry: IniEntry, allowZero: Bool, atMost longest: Duration = DurationText.longest) -> Duration? {
        let text = entry.value.text
        guard let value = DurationText.parse(text) else {
            if DurationText.isTooLong(text) {
                error(entry.value.position, "`\(entry.key)` is \(text), out of range; expected at most \(DurationText.format(longest))")
            } else {
                error(entry.value.position, "`\(text)` is not a duration; expected a whole number followed by ms, s, m, h or d, such as 250ms, 2s or 1m")
            }
            return nil
        }
        if value > longest {
            error(entry.value.position, "`\(entry.key)` is \(text), out of range; expected at most \(DurationText.format(longest))")
            return nil
        }
        if value == .zero && !allowZero {
            error(entry.value.position, "`\(entry.key)` must be longer than 0")
            return nil
        }
        return value
    }

    mutating func integer(_ entry: IniEntry, in range: ClosedRange<Int>) -> Int? {
        let text = entry.value.text
        guard text.allSatisfy({ $0.isASCII && $0.isNumber }), !text.isEmpty, text.count <= 9, let value = Int(text) else {
            error(entry.value.position, "`\(text)` is not a whole number; expected a number from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        guard range.contains(value) else {
            error(entry.value.position, "`\(entry.key)` is \(value), out of range; expected a number from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return value
    }

    mutating func boolean(_ entry: IniEntry) -> Bool? {
        switch entry.value.text.lowercased() {
        case "yes", "true", "on", "1": return true
        case "no", "false", "off", "0": return false
        default:
            error(entry.value.position, "`\(entry.value.text)` is not a yes/no value; expected yes, no, true, false, on, off, 1 or 0")
            return nil
        }
    }

    /// One of `choices`, with a suggestion for a near miss.
    mutating func choice(_ entry: IniEntry, _ choices: [String]) -> String? {
        let text = entry.value.text
        guard choices.contains(text) else {
            let list = choices.map { "`\($0)`" }.joined(separator: ", ")
            error(entry.value.position, "`\(text)` is not a value of `\(entry.key)`\(NearestWord.hint(for: text, among: choices)); expected one of \(list)")
            return nil
        }
        return text
    }

    /// A pattern of `exclude` or `ignore` (a trailing `/` means folders only).
    mutating func exclusionPattern(_ item: IniValue.Item) -> String? {
        do throws(GlobPatternError) {
            _ = try ExclusionList(patterns: [item.text])
            return item.text
        } catch {
            self.error(item.position, error.description)
            return nil
        }
    }
}
