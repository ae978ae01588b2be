// SPDX-License-Identifier: GPL-2.0-or-later

/// An INI file as written, before any meaning is given to it: sections with their entries, each piece with
/// the place it was written, so that later checks can point at it.
public struct IniDocument: Sendable, Hashable {
    /// The file as the user named it, for diagnostics.
    public var file: String
    public var sections: [IniSection]
}

/// `[kind NAME]` or `[kind "NAME with spaces"]` and the entries under it.
public struct IniSection: Sendable, Hashable {
    public var kind: String
    public var name: String?
    /// Where the `[` is.
    public var position: SourcePosition
    /// Where the name starts (its opening quote when quoted).
    public var namePosition: SourcePosition?
    public var entries: [IniEntry]
    /// Whether a syntax error was found in the header or in a line of this section; checks that a key is
    /// missing are then left out, since the key may be on the line that could not be read.
    public var isDamaged = false

    /// `[kind NAME]` as a user would write it.
    public var title: String {
        guard let name else { return "[\(kind)]" }
        return name.contains(" ") ? "[\(kind) \"\(name)\"]" : "[\(kind) \(name)]"
    }

    /// The first entry with `key`.
    public func entry(_ key: String) -> IniEntry? { entries.first { $0.key == key } }
}

/// `key = value`.
public struct IniEntry: Sendable, Hashable {
    public var key: String
    public var position: SourcePosition
    public var value: IniValue
}

/// The value of an entry: its text as written (continuation lines joined by one space, inline comment
/// removed) and the same text read as a space-separated list with quoted items.
public struct IniValue: Sendable, Hashable {
    /// One item of the value read as a list, quotes removed and `\"`, `\\` unescaped.
    public struct Item: Sendable, Hashable {
        public var text: String
        public var position: SourcePosition
    }

    /// The text as written, trimmed.
    public var raw: String
    /// Where the value starts; for an empty value, just after the `=`.
    public var position: SourcePosition
    /// The list items.
    public var items: [Item]
    /// Where each written piece of `raw` starts: (offset in characters into `raw`, position in the file).
    var pieces: [(offset: Int, position: SourcePosition)]

    /// The value as one string: unquoted when the whole value is one quoted item, otherwise as written.
    public var text: String {
        if items.count == 1, raw.hasPrefix("\""), raw.hasSuffix("\""), raw.count >= 2 { return items[0].text }
        return raw
    }

    /// The position in the file of the character at `offset` into ``raw``.
    public func position(atOffset offset: Int) -> SourcePosition {
        guard let piece = pieces.last(where: { $0.offset <= offset }) else { return position }
        return SourcePosition(line: piece.position.line, column: piece.position.column + offset - piece.offset)
    }

    public static func == (lhs: IniValue, rhs: IniValue) -> Bool {
        lhs.raw == rhs.raw && lhs.position == rhs.position && lhs.items == rhs.items
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(raw)
        hasher.combine(position)
    }
}
