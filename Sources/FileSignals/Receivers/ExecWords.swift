// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// The `exec =` line of a receiver split into words as a POSIX shell splits them (single quotes, double
/// quotes, backslash), with no expansion of any kind: no variables, no globs, no command substitution.
/// `{placeholders}` stay in their word and are filled in per signal, each word staying one argument.
package enum ExecWords {
    /// The placeholders a word may hold.
    package static var placeholders: [String] { SignalFields.names }

    /// What is wrong with a program and its arguments as an `exec` receiver (or `watch -- PROGRAM ARGS`)
    /// runs them, each with its message: the rules in one place for the config and the command line.
    package enum Refusal: Hashable, Sendable {
        /// `{name}` is no placeholder, and is so close to one that it is taken for a typo (write `{{name}}`
        /// for the text itself).
        case unknownPlaceholder(String)
        /// The program itself (or the one a wrapper such as `env` or `timeout` runs) is a placeholder: a file
        /// name would choose what runs.
        case programFromPlaceholder
        /// The word at `index` is code that `program` runs (made so by the option at `option`, or an option
        /// of it), and holds a placeholder.
        case placeholderInCode(index: Int, option: Int, program: String)
        /// A batch receiver's word holds the placeholder `{name}`, which has no one value for a burst.
        case placeholderInBatch(String)

        package func message(for words: [String]) -> String {
            switch self {
            case .unknownPlaceholder(let name):
                let known = ExecWords.placeholders.map { "{\($0)}" }.joined(separator: " ")
                let hint = NearestWord.suggestion(for: name, among: ExecWords.placeholders).map { "; did you mean `{\($0)}`?" } ?? ""
                return "unknown placeholder `{\(name)}`\(hint); expected one of \(known) (write {{ and }} for braces themselves)"
            case .programFromPlaceholder:
                return "the program of `exec` cannot come from a placeholder: a file name must never choose what runs"
            case .placeholderInCode(let code, let option, let program):
                let made = option == code ? "`\(words[code])` is an option of \(program)" : "`\(words[option])` makes `\(words[code])` code for \(program)"
                return """
                    \(made): a placeholder in it would make a file name code; pass it as an argument instead \
                    (exec = sh -c 'echo "$1"' sh {path})
                    """
            case .placeholderInBatch(let name):
                return "`{\(name)}` has no one value in a batch run, which serves a whole burst; read the signals from stdin, one JSON line each"
            }
        }
    }

    /// Everything wrong with `words` (not empty) as a program and its arguments.
    /// - Parameter batch: the words run once per burst (`batch = yes`), where no placeholder has a value.
    package static func refusals(of words: [String], batch: Bool = false) -> [Refusal] {
        var refusals = words.flatMap { word in
            pieces(of: word).compactMap { piece -> Refusal? in
                if case .lookalike(let name) = piece { return .unknownPlaceholder(name) }
                return nil
            }
        }
        if batch {
            refusals += words.flatMap { word in placeholderNames(in: word).filter { $0 != "root" }.map(Refusal.placeholderInBatch) }
        }
        let programs = programIndices(words)
        if programs.contains(where: { !placeholderNames(in: words[$0]).isEmpty }) { refusals.append(.programFromPlaceholder) }
        for program in programs {
            if let code = codeWordWithPlaceholder(words, program: program) { refusals.append(code) }
        }
        return refusals
    }

    /// Why a line cannot be split: what is wrong and at which character offset into the line.
    package struct Problem: Error, Hashable, Sendable {
        package var offset: Int
        package var message: String
    }

    /// Splits `line` into words.
    /// - Throws: ``Problem`` for an unterminated quote or a trailing backslash.
    package static func split(_ line: String) throws(Problem) -> [String] {
        let characters = Array(line)
        var words: [String] = []
        var word: String?
        var index = 0
        while index < characters.count {
            let character = characters[index]
            switch character {
            case " ", "\t":
                if let finished = word { words.append(finished) }
                word = nil
                index += 1
            case "'":
                guard let close = characters[(index + 1)...].firstIndex(of: "'") else {
                    throw Problem(offset: index, message: "unterminated single quote in `exec`")
                }
                word = (word ?? "") + String(characters[(index + 1)..<close])
                index = close + 1
            case "\"":
                var text = word ?? ""
                var position = index + 1
                var closed = false
                while position < characters.count {
                    let inner = characters[position]
                    if inner == "\"" { closed = true; break }
                    if inner == "\\", position + 1 < characters.count, "$`\"\\".contains(characters[position + 1]) {
                        text.append(characters[position + 1])
                        position += 2
                        continue
                    }
                    text.append(inner)
                    position += 1
                }
                guard closed else { throw Problem(offset: index, message: "unterminated double quote in `exec`") }
                word = text
                index = position + 1
            case "\\":
                guard index + 1 < characters.count else {
                    throw Problem(offset: index, message: "a backslash at the end of `exec` escapes nothing")
                }
                word = (word ?? "") + String(characters[index + 1])
                index += 2
            default:
                word = (word ?? "") + String(character)
                index += 1
            }
        }
        if let finished = word { words.append(finished) }
        return words
    }

    /// A part of a word: text, or a placeholder.
    enum Piece: Hashable {
        case text(String)
        /// `{name}` with a known name.
        case placeholder(String)
        /// `{name}` with a name close to a known one (a typo, refused); kept as text if it were run.
        case lookalike(String)
    }

    /// `word` in pieces: `{name}` is a placeholder when `name` is one; `{{` and `}}` are braces themselves;
    /// any other brace is text as written (`jq '{path, signal}'`, `awk '{print}'`, `find -exec ... {}`),
    /// except a `{name}` close enough to a placeholder's name to be taken for a typo of it.
    static func pieces(of word: String) -> [Piece] {
        var pieces: [Piece] = []
        var text = ""
        var rest = word[...]
        while let first = rest.first {
            if rest.hasPrefix("{{") || rest.hasPrefix("}}") {
                text.append(first)
                rest = rest.dropFirst(2)
                continue
            }
            if first == "{", let close = rest.dropFirst().firstIndex(where: { $0 == "}" || $0 == "{" }), rest[close] == "}" {
                let name = String(rest[rest.index(after: rest.startIndex)..<close])
                let isKnown = placeholders.contains(name)
                let isLookalike = !isKnown && !name.isEmpty && name.allSatisfy({ $0.isLetter || $0 == "_" })
                    && NearestWord.suggestion(for: name, among: placeholders) != nil
                if isKnown || isLookalike {
                    if !text.isEmpty { pieces.append(.text(text)) }
                    text = ""
                    pieces.append(isKnown ? .placeholder(name) : .lookalike(name))
                    rest = rest[rest.index(after: close)...]
                    continue
                }
            }
            text.append(first)
            rest = rest.dropFirst()
        }
        if !text.isEmpty { pieces.append(.text(text)) }
        return pieces
    }

    /// The placeholders in `word`, in order.
    package static func placeholderNames(in word: String) -> [String] {
        pieces(of: word).compactMap { piece in
            if case .placeholder(let name) = piece { return name }
            return nil
        }
    }

    /// `word` with every placeholder replaced by its value's exact bytes (a file name need not be UTF-8), and
    /// `{{`, `}}` by braces. The result is one argument, whatever the values hold.
    package static func substitute(_ word: String, _ values: [String: [UInt8]]) -> [UInt8] {
        var result: [UInt8] = []
        for piece in pieces(of: word) {
            switch piece {
            case .text(let text): result += Array(text.utf8)
            case .placeholder(let name): result += values[name] ?? []
            case .lookalike(let name): result += Array("{\(name)}".utf8)
            }
        }
        return result
    }
}
