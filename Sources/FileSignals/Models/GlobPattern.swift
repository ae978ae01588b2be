// SPDX-License-Identifier: GPL-2.0-or-later

/// A glob pattern over file paths: `*` stays inside a folder, `**` crosses folders, `?` is one character,
/// `[abc]`, `[a-z]` and `[!abc]` are byte classes, and `\` escapes the next character.
///
/// A pattern with no `/` names files at any depth by their last component (`*.md` matches `a.md` and
/// `notes/b.md`); a pattern with a `/` is matched against the whole path relative to the model's folder
/// (`drafts/**`). A leading `/` only anchors and is dropped. This is the rule `.gitignore` users know.
public struct GlobPattern: Hashable, Sendable, CustomStringConvertible {
    /// The pattern as written.
    public let text: String
    /// Whether the pattern is matched against the whole relative path (it has a `/`) rather than the last
    /// component.
    public let isAnchored: Bool
    private let tokens: [Token]
    /// A shortcut for the commonest patterns (`*.md`, `4913`, `.#*`, `#*#`), which need no backtracking.
    private let shape: Shape

    /// Literal bytes around at most one `*` that stays within a name.
    private enum Shape: Hashable, Sendable {
        case literal([UInt8])
        case prefixAndSuffix(prefix: [UInt8], suffix: [UInt8])
        case general
    }

    private enum Token: Hashable, Sendable {
        case literal(UInt8)
        case anyCharacter
        case byteClass(ranges: [ClosedRange<UInt8>], negated: Bool)
        case star
        case globstar
        /// `**/`: zero or more whole folders.
        case globstarFolders
    }

    /// Parses `text` as a glob pattern.
    /// - Throws: ``GlobPatternError`` for an empty pattern, an unterminated `[` or a trailing `\`.
    public init(_ text: String) throws(GlobPatternError) {
        self.text = text
        var bytes = Array(text.utf8)
        guard !bytes.isEmpty else { throw GlobPatternError(pattern: text, reason: "the pattern is empty") }
        if bytes.first == UInt8(ascii: "/") { bytes.removeFirst() }
        self.isAnchored = bytes.contains(UInt8(ascii: "/")) || text.hasPrefix("/")
        self.tokens = try Self.tokenize(bytes, text: text)
        self.shape = Self.shape(of: tokens)
    }

    private static func shape(of tokens: [Token]) -> Shape {
        var prefix: [UInt8] = [], suffix: [UInt8] = []
        var sawStar = false
        for token in tokens {
            switch token {
            case .literal(let byte):
                if sawStar { suffix.append(byte) } else { prefix.append(byte) }
            case .star where !sawStar:
                sawStar = true
            default:
                return .general
            }
        }
        return sawStar ? .prefixAndSuffix(prefix: prefix, suffix: suffix) : .literal(prefix)
    }

    public var description: String { text }

    /// Whether `path`, relative to the model's folder, matches this pattern.
    public func matches(_ path: RawPath) -> Bool {
        path.bytes.withUnsafeBufferPointer { matches(bytes: $0) }
    }

    /// Whether the relative path whose bytes are `path` matches this pattern: the form for hot paths, which
    /// match a file and each of its parent folders without making a path of each.
    func matches(bytes path: UnsafeBufferPointer<UInt8>) -> Bool {
        var subject = path[...]
        if !isAnchored, let slash = path.lastIndex(of: UInt8(ascii: "/")) {
            subject = path[(slash + 1)...]
        }
        switch shape {
        case .literal(let literal):
            return subject.elementsEqual(literal)
        case .prefixAndSuffix(let prefix, let suffix):
            // `*` never crosses a `/`.
            return subject.count >= prefix.count + suffix.count && subject.starts(with: prefix)
                && subject.suffix(suffix.count).elementsEqual(suffix)
                && !subject.dropFirst(prefix.count).dropLast(suffix.count).contains(UInt8(ascii: "/"))
        case .general:
            var matcher = Matcher(tokens: tokens, subject: Array(subject))
            return matcher.match(token: 0, at: 0)
        }
    }

    private static func tokenize(_ bytes: [UInt8], text: String) throws(GlobPatternError) -> [Token] {
        var tokens: [Token] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "*"):
                let isDouble = index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "*")
                if isDouble {
                    let followedBySlash = index + 2 < bytes.count && bytes[index + 2] == UInt8(ascii: "/")
                    tokens.append(followedBySlash ? .globstarFolders : .globstar)
                    index += followedBySlash ? 3 : 2
                } else {
                    tokens.append(.star)
                    index += 1
                }
            case UInt8(ascii: "?"):
                tokens.append(.anyCharacter)
                index += 1
            case UInt8(ascii: "["):
                let (token, next) = try parseClass(bytes, openingAt: index, text: text)
                tokens.append(token)
                index = next
            case UInt8(ascii: "\\"):
                guard index + 1 < bytes.count else {
                    throw GlobPatternError(pattern: text, reason: "it ends with a lone `\\`")
                }
                tokens.append(.literal(bytes[index + 1]))
                index += 2
            default:
                tokens.append(.literal(byte))
                index += 1
            }
        }
        return tokens
    }

    private static func parseClass(
        _ bytes: [UInt8], openingAt start: Int, text: String
    ) throws(GlobPatternError) -> (Token, Int) {
        var index = start + 1
        var negated = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "!") || bytes[index] == UInt8(ascii: "^") {
            negated = true
            index += 1
        }
        var ranges: [ClosedRange<UInt8>] = []
        var first = true
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "]") && !first {
                return (.byteClass(ranges: ranges, negated: negated), index + 1)
            }
            first = false
            let isRange = index + 2 < bytes.count && bytes[index + 1] == UInt8(ascii: "-")
                && bytes[index + 2] != UInt8(ascii: "]")
            if isRange {
                let upper = bytes[index + 2]
                guard byte <= upper else {
                    throw GlobPatternError(pattern: text, reason: "the range `\(Character(Unicode.Scalar(byte)))-\(Character(Unicode.Scalar(upper)))` is backwards")
                }
                ranges.append(byte...upper)
                index += 3
            } else {
                ranges.append(byte...byte)
                index += 1
            }
        }
        throw GlobPatternError(pattern: text, reason: "the `[` at column \(start + 1) is never closed by `]`")
    }

    /// Backtracking matcher that remembers failed (token, position) pairs, so that no pattern is exponential.
    private struct Matcher {
        let tokens: [Token]
        let subject: [UInt8]
        var failed: Set<Int> = []

        init(tokens: [Token], subject: [UInt8]) {
            self.tokens = tokens
            self.subject = subject
        }

        mutating func match(token: Int, at position: Int) -> Bool {
            if token == tokens.count { return position == subject.count }
            let key = token &* (subject.count + 1) &+ position
            if failed.contains(key) { return false }
            let result = step(token: token, at: position)
            if !result { failed.insert(key) }
            return result
        }

        private mutating func step(token: Int, at position: Int) -> Bool {
            let slash = UInt8(ascii: "/")
            let atEnd = position == subject.count
            switch tokens[token] {
            case .literal(let byte):
                return !atEnd && subject[position] == byte && match(token: token + 1, at: position + 1)
            case .anyCharacter:
                guard !atEnd, subject[position] != slash else { return false }
                var next = position + 1
                // One character, not one byte: skip UTF-8 continuation bytes.
                while next < subject.count, subject[next] & 0xC0 == 0x80 { next += 1 }
                return match(token: token + 1, at: next)
            case .byteClass(let ranges, let negated):
                guard !atEnd, subject[position] != slash else { return false }
                let inClass = ranges.contains { $0.contains(subject[position]) }
                return inClass != negated && match(token: token + 1, at: position + 1)
            case .star:
                var end = position
                while true {
                    if match(token: token + 1, at: end) { return true }
                    if end == subject.count || subject[end] == slash { return false }
                    end += 1
                }
            case .globstar:
                for end in position...subject.count where match(token: token + 1, at: end) { return true }
                return false
            case .globstarFolders:
                if match(token: token + 1, at: position) { return true }
                for end in position..<subject.count where subject[end] == slash {
                    if match(token: token + 1, at: end + 1) { return true }
                }
                return false
            }
        }
    }
}

/// A glob pattern that cannot be used, with the reason in words.
public struct GlobPatternError: Error, Hashable, Sendable, CustomStringConvertible {
    public let pattern: String
    public let reason: String
    public var description: String { "bad pattern `\(pattern)`: \(reason)" }
}
