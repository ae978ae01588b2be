// SPDX-License-Identifier: GPL-2.0-or-later

/// Reads the INI language of `filesignals.ini` into an ``IniDocument``, reporting every syntax error with its
/// line and column and going on after each, so that a user sees all of them at once.
///
/// The grammar, line by line:
/// - a blank line, or a comment: `#` or `;` as the first character that is not a space or tab;
/// - a section header: `[kind]`, `[kind NAME]` or `[kind "NAME with spaces"]`, optionally followed by a comment;
/// - an entry: `key = value`; the value may end with a comment that starts with `#` or `;` after a space;
/// - a continuation: an indented line right after an entry (or after another continuation) adds to that
///   entry's value, joined by one space. A blank line ends the value.
///
/// In a value, double quotes keep spaces, `#` and `;`; inside them `\"` and `\\` are a quote and a backslash.
/// A leading byte order mark and CRLF line ends are accepted.
package enum IniReader {
    /// Reads `text`, the content of `file`.
    /// - Returns: the document, and the syntax errors found (empty when there are none).
    package static func read(_ text: String, file: String) -> (IniDocument, [ConfigDiagnostic]) {
        var reader = LineReader(file: file)
        var body = Substring(text)
        if body.first == "\u{FEFF}" { body = body.dropFirst() }
        var lineNumber = 0
        // Split on "\n" only; a "\r\n" pair is one Character in Swift, so split on scalars instead.
        for line in body.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var characters = Array(String(String.UnicodeScalarView(line)))
            if characters.last == "\r" { characters.removeLast() }
            reader.read(characters, line: lineNumber)
        }
        reader.finishSection()
        return (IniDocument(file: file, sections: reader.sections), reader.diagnostics)
    }

    /// Reads the file at `path`, named `file` in diagnostics.
    /// - Returns: nil and one diagnostic when the file cannot be read or is not UTF-8.
    package static func read(contentsOf path: String, file: String) -> (IniDocument?, [ConfigDiagnostic]) {
        read(FileBytes.read(path), file: file)
    }

    /// Reads the open file `descriptor` to its end, named `file` in diagnostics: the file whose safety was
    /// checked on this same descriptor, so that nobody can swap another in between.
    package static func read(descriptor: Int32, file: String) -> (IniDocument?, [ConfigDiagnostic]) {
        read(FileBytes.read(descriptor: descriptor), file: file)
    }

    private static func read(_ bytes: [UInt8]?, file: String) -> (IniDocument?, [ConfigDiagnostic]) {
        guard let bytes else {
            return (nil, [ConfigDiagnostic(.error, file: file, at: .init(line: 1, column: 1), "cannot read the file: \(FileBytes.lastErrorDescription())")])
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            let line = lineOfFirstInvalidUTF8(bytes)
            return (nil, [ConfigDiagnostic(.error, file: file, at: .init(line: line, column: 1), "this line is not valid UTF-8; save the file as UTF-8")])
        }
        let (document, diagnostics) = read(text, file: file)
        return (document, diagnostics)
    }

    private static func lineOfFirstInvalidUTF8(_ bytes: [UInt8]) -> Int {
        var line = 1
        var start = 0
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            if String(validating: bytes[start..<index], as: UTF8.self) == nil { return line }
            line += 1
            start = index + 1
        }
        return line
    }
}

/// The reader's state while it goes through the lines.
private struct LineReader {
    let file: String
    var sections: [IniSection] = []
    var diagnostics: [ConfigDiagnostic] = []
    private var section: IniSection?
    /// Whether the last line read was an entry (or its continuation), so that an indented line continues it.
    private var inValue = false

    init(file: String) { self.file = file }

    mutating func read(_ characters: [Character], line: Int) {
        // A NUL would cut a value short where it is used (a command is a C string): what `check` shows would
        // not be what runs.
        if let nul = characters.firstIndex(of: "\u{0}") {
            error(line, nul + 1, "a NUL character cannot be part of a config; remove it")
            return
        }
        let indent = characters.prefix { $0 == " " || $0 == "\t" }.count
        if indent == characters.count {
            inValue = false
            return
        }
        let first = characters[indent]
        if first == "#" || first == ";" { return }
        if indent > 0 && inValue {
            continueValue(characters, from: indent, line: line)
            return
        }
        if first == "[" {
            inValue = false
            readSectionHeader(characters, from: indent, line: line)
            return
        }
        readEntry(characters, from: indent, line: line)
    }

    mutating func finishSection() {
        if let section { sections.append(section) }
        section = nil
    }

    private mutating func error(_ line: Int, _ column: Int, _ message: String) {
        diagnostics.append(ConfigDiagnostic(.error, file: file, at: .init(line: line, column: column), message))
        section?.isDamaged = true
    }

    /// Starts a section that could not be read, so that the lines under it are not reported again as
    /// being outside any section. Its kind is empty, which no check looks at.
    private mutating func startUnreadableSection(at position: SourcePosition) {
        section = IniSection(kind: "", name: nil, position: position, namePosition: nil, entries: [], isDamaged: true)
    }

    // MARK: Section headers

    private mutating func readSectionHeader(_ characters: [Character], from start: Int, line: Int) {
        finishSection()
        let position = SourcePosition(line: line, column: start + 1)
        // Find the closing `]`, outside quotes.
        var index = start + 1
        var inQuotes = false
        var close: Int?
        while index < characters.count {
            let character = characters[index]
            if inQuotes && character == "\\" && index + 1 < characters.count { index += 2; continue }
            if character == "\"" { inQuotes.toggle() }
            if character == "]" && !inQuotes { close = index; break }
            index += 1
        }
        guard let close else {
            error(line, characters.count + 1, inQuotes ? "unterminated quote in the section header; expected a closing `\"` and `]`" : "expected `]` to close the section header")
            startUnreadableSection(at: position)
            return
        }
        let after = characters[(close + 1)...].drop { $0 == " " || $0 == "\t" }
        let hasExtraText = after.first.map { $0 != "#" && $0 != ";" } ?? false
        let inside = Array(characters[(start + 1)..<close])
        let kindStart = inside.prefix { $0 == " " || $0 == "\t" }.count
        let kindLength = inside[kindStart...].prefix { $0 != " " && $0 != "\t" && $0 != "\"" }.count
        guard kindLength > 0 else {
            error(line, start + 2 + kindStart, "empty section header; expected [filesignals], [model NAME], [signal NAME] or [receiver NAME]")
            startUnreadableSection(at: position)
            return
        }
        let kind = String(inside[kindStart..<(kindStart + kindLength)])
        let rest = inside[(kindStart + kindLength)...]
        let nameStart = rest.drop { $0 == " " || $0 == "\t" }
        var name: String?
        var namePosition: SourcePosition?
        if let firstOfName = nameStart.first {
            let column = start + 2 + nameStart.startIndex
            namePosition = SourcePosition(line: line, column: column)
            let trimmed = Array(nameStart.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
            if firstOfName == "\"" {
                switch unquote(trimmed) {
                case .success(let text):
                    name = text
                case .failure(let message):
                    error(line, column, message.message)
                    startUnreadableSection(at: position)
                    return
                }
            } else if let space = trimmed.firstIndex(where: { $0 == " " || $0 == "\t" || $0 == "\"" }) {
                let spaced = String(trimmed).replacingQuotes()
                diagnostics.append(ConfigDiagnostic(.error, file: file, at: .init(line: line, column: column + space), "a name with spaces must be quoted: [\(kind) \"\(spaced)\"]"))
                // Read on as if it had been quoted, so that its keys are checked too.
                section = IniSection(kind: kind, name: spaced, position: position, namePosition: namePosition, entries: [], isDamaged: true)
                return
            } else {
                name = String(trimmed)
            }
            if name?.isEmpty == true {
                error(line, column, "the section name is empty")
                startUnreadableSection(at: position)
                return
            }
        }
        section = IniSection(kind: kind, name: name, position: position, namePosition: namePosition, entries: [])
        if hasExtraText {
            error(line, after.startIndex + 1, "unexpected text after `]`; a section header stands alone on its line")
        }
    }

    /// The text of `"..."` (the whole of `characters`), or why it is not one quoted string.
    private func unquote(_ characters: [Character]) -> Result<String, QuoteProblem> {
        var text = ""
        var index = 1
        while index < characters.count {
            let character = characters[index]
            if character == "\\", index + 1 < characters.count, characters[index + 1] == "\"" || characters[index + 1] == "\\" {
                text.append(characters[index + 1])
                index += 2
                continue
            }
            if character == "\"" {
                guard index == characters.count - 1 else { return .failure(QuoteProblem(message: "unexpected text after the quoted name")) }
                return .success(text)
            }
            text.append(character)
            index += 1
        }
        return .failure(QuoteProblem(message: "unterminated quote; expected a closing `\"`"))
    }

    private struct QuoteProblem: Error {
        let message: String
    }

    // MARK: Entries

    private mutating func readEntry(_ characters: [Character], from start: Int, line: Int) {
        inValue = false
        guard let equals = characters[start...].firstIndex(of: "=") else {
            error(line, start + 1, "expected `key = value`, a `[section]` header or a comment")
            return
        }
        let keyCharacters = characters[start..<equals].reversed().drop { $0 == " " || $0 == "\t" }.reversed()
        let key = String(keyCharacters)
        guard !key.isEmpty else {
            error(line, start + 1, "expected a key before `=`")
            return
        }
        if let bad = key.firstIndex(where: { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == ".") }) {
            error(line, start + 1 + key.distance(from: key.startIndex, to: bad), "a key is one word of letters, digits, `_`, `-` and `.`; found `\(key)`")
            return
        }
        guard section != nil else {
            error(line, start + 1, "key `\(key)` is outside any section; put it under a header such as [filesignals] or [model NAME]")
            return
        }
        let piece = readValuePiece(characters, from: equals + 1, line: line)
        let value = IniValue(raw: piece.raw, position: piece.position, items: piece.items, pieces: [(0, piece.position)])
        section!.entries.append(IniEntry(key: key, position: SourcePosition(line: line, column: start + 1), value: value))
        inValue = true
    }

    private mutating func continueValue(_ characters: [Character], from start: Int, line: Int) {
        let piece = readValuePiece(characters, from: start, line: line)
        guard !piece.raw.isEmpty, var entry = section?.entries.popLast() else { return }
        if entry.value.raw.isEmpty {
            entry.value.position = piece.position
            entry.value.pieces = [(0, piece.position)]
        } else {
            entry.value.raw += " "
            entry.value.pieces.append((entry.value.raw.count, piece.position))
        }
        entry.value.raw += piece.raw
        entry.value.items += piece.items
        section!.entries.append(entry)
    }

    /// Reads a value from `start` to the end of the line or to an inline comment.
    private mutating func readValuePiece(_ characters: [Character], from start: Int, line: Int) -> (raw: String, position: SourcePosition, items: [IniValue.Item]) {
        var index = start
        while index < characters.count, characters[index] == " " || characters[index] == "\t" { index += 1 }
        let valueStart = index
        let position = SourcePosition(line: line, column: valueStart + 1)
        var items: [IniValue.Item] = []
        var item: String?
        var itemStart = valueStart
        var openQuote: Int?
        var end = characters.count
        while index < characters.count {
            let character = characters[index]
            if openQuote != nil {
                if character == "\\", index + 1 < characters.count, characters[index + 1] == "\"" || characters[index + 1] == "\\" {
                    item!.append(characters[index + 1])
                    index += 2
                    continue
                }
                if character == "\"" { openQuote = nil } else { item!.append(character) }
                index += 1
                continue
            }
            if character == " " || character == "\t" {
                if let finished = item { items.append(.init(text: finished, position: .init(line: line, column: itemStart + 1))) }
                item = nil
                var next = index
                while next < characters.count, characters[next] == " " || characters[next] == "\t" { next += 1 }
                if next < characters.count, characters[next] == "#" || characters[next] == ";" {
                    end = index
                    break
                }
                index = next
                continue
            }
            if (character == "#" || character == ";") && index == valueStart {
                end = index
                break
            }
            if item == nil {
                item = ""
                itemStart = index
            }
            if character == "\"" { openQuote = index } else { item!.append(character) }
            index += 1
        }
        if let openQuote {
            error(line, openQuote + 1, "unterminated quote; expected a closing `\"` on the same line")
        }
        if let finished = item {
            items.append(.init(text: finished, position: .init(line: line, column: itemStart + 1)))
        }
        var raw = Array(characters[valueStart..<max(valueStart, end)])
        while let last = raw.last, last == " " || last == "\t" { raw.removeLast() }
        return (String(raw), position, items)
    }
}

private extension String {
    func replacingQuotes() -> String {
        var result = ""
        for character in self where character != "\"" { result.append(character) }
        return result
    }
}
