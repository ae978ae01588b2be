// SPDX-License-Identifier: GPL-2.0-or-later

/// An INI file as written, before any meaning is given to it: sections with their entries, each piece with
/// the place it was written, so that later checks can point at it.
package struct IniDocument: Sendable, Hashable {
    /// The file as the user named it, for diagnostics.
    package var file: String
    package var sections: [IniSection]
}

/// `[kind NAME]` or `[kind "NAME with spaces"]` and the entries under it.
package struct IniSection: Sendable, Hashable {
    package var kind: String
    package var name: String?
    /// Where the `[` is.
    package var position: SourcePosition
    /// Where the name starts (its opening quote when quoted).
    package var namePosition: SourcePosition?
    package var entries: [IniEntry]
    /// Whether a syntax error was found in the header or in a line of this section; checks that a key is
    /// missing are then left out, since the key may be on the line that could not be read.
    package var isDamaged = false

    /// `[kind NAME]` as a user would write it.
    package var title: String {
        guard let name else { return "[\(kind)]" }
        return name.contains(" ") ? "[\(kind) \"\(name)\"]" : "[\(kind) \(name)]"
    }

    /// The first entry with `key`.
    package func entry(_ key: String) -> IniEntry? { entries.first { $0.key == key } }
}

/// `key = value`.
package struct IniEntry: Sendable, Hashable {
    package var key: String
    package var position: SourcePosition
    package var value: IniValue
}

/// The value of an entry: its text as written (continuation lines joined by one space, inline comment
/// removed) and the same text read as a space-separated list with quoted items.
package struct IniValue: Sendable, Hashable {
    /// One item of the value read as a list, quotes removed and `\"`, `\\` unescaped.
    package struct Item: Sendable, Hashable {
        package var text: String
        package var position: SourcePosition
    }

    /// The text as written, trimmed.
    package var raw: String
    /// Where the value starts; for an empty value, just after the `=`.
    package var position: SourcePosition
    /// The list items.
    package var items: [Item]
    /// Where each written piece of `raw` starts: (offset in characters into `raw`, position in the file).
    var pieces: [(offset: Int, position: SourcePosition)]

    /// The value as one string: unquoted when the whole value is one quoted item, otherwise as written.
    package var text: String {
        if items.count == 1, raw.hasPrefix("\""), raw.hasSuffix("\""), raw.count >= 2 { return items[0].text }
        return raw
    }

    /// The position in the file of the character at `offset` into ``raw``.
    package func position(atOffset offset: Int) -> SourcePosition {
        guard let piece = pieces.last(where: { $0.offset <= offset }) else { return position }
        return SourcePosition(line: piece.position.line, column: piece.position.column + offset - piece.offset)
    }

    package static func == (lhs: IniValue, rhs: IniValue) -> Bool {
        lhs.raw == rhs.raw && lhs.position == rhs.position && lhs.items == rhs.items
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(raw)
        hasher.combine(position)
    }
}
