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
        /// `{name}` is no placeholder.
        case unknownPlaceholder(String)
        /// The program itself is a placeholder: a file name would choose what runs.
        case programFromPlaceholder
        /// The word at `index` is code for a shell or interpreter, and holds a placeholder.
        case placeholderInCode(index: Int)
        /// A batch receiver's word holds the placeholder `{name}`, which has no one value for a burst.
        case placeholderInBatch(String)

        package func message(for words: [String]) -> String {
            switch self {
            case .unknownPlaceholder(let name):
                let known = ExecWords.placeholders.map { "{\($0)}" }.joined(separator: " ")
                let hint = NearestWord.suggestion(for: name, among: ExecWords.placeholders).map { "; did you mean `{\($0)}`?" } ?? ""
                return "unknown placeholder `{\(name)}`\(hint); expected one of \(known)"
            case .programFromPlaceholder:
                return "the program of `exec` cannot come from a placeholder: a file name must never choose what runs"
            case .placeholderInCode(let code):
                return """
                    `\(words[code - 1])` makes `\(words[code])` code for \((words[0] as NSString).lastPathComponent): a placeholder in it would make a \
                    file name code; pass it as an argument instead (exec = sh -c 'echo "$1"' sh {path})
                    """
            case .placeholderInBatch(let name):
                return "`{\(name)}` has no one value in a batch run, which serves a whole burst; read the signals from stdin, one JSON line each"
            }
        }
    }

    /// Everything wrong with `words` (not empty) as a program and its arguments.
    /// - Parameter batch: the words run once per burst (`batch = yes`), where no placeholder has a value.
    package static func refusals(of words: [String], batch: Bool = false) -> [Refusal] {
        var refusals = words.flatMap { word in placeholderNames(in: word).filter { !placeholders.contains($0) }.map(Refusal.unknownPlaceholder) }
        if batch {
            refusals += words.flatMap { word in placeholderNames(in: word).filter { placeholders.contains($0) && $0 != "root" }.map(Refusal.placeholderInBatch) }
        }
        if let program = words.first, !placeholderNames(in: program).isEmpty { refusals.append(.programFromPlaceholder) }
        if let code = codeWordWithPlaceholder(words) { refusals.append(.placeholderInCode(index: code)) }
        return refusals
    }

    /// The index of a word that a shell or an interpreter in `words` runs as code (the word after `sh -c`,
    /// `bash -ec`, `python3 -c`, `perl -e`, `node -e`...) and that holds a placeholder; nil when there is none.
    /// A file name in such a word would be code, which is what `exec` exists to prevent.
    package static func codeWordWithPlaceholder(_ words: [String]) -> Int? {
        var flags: Set<String> = []   // the code options of the last shell or interpreter named
        for (index, word) in words.enumerated() {
            if let named = codeOptions(ofProgram: word) {
                flags = named
            } else if index + 1 < words.count, isCodeOption(word, among: flags), !placeholderNames(in: words[index + 1]).isEmpty {
                return index + 1
            }
        }
        return nil
    }

    /// Shells and interpreters, with the options whose argument they run as code.
    private static let codeOptions: [(program: String, options: Set<String>)] = [
        ("sh", ["-c"]), ("bash", ["-c"]), ("dash", ["-c"]), ("zsh", ["-c"]), ("ksh", ["-c"]), ("mksh", ["-c"]),
        ("ash", ["-c"]), ("fish", ["-c", "--command"]), ("python", ["-c"]), ("perl", ["-e", "-E"]), ("ruby", ["-e"]),
        ("node", ["-e", "-p", "--eval", "--print"]), ("php", ["-r"]), ("lua", ["-e"]), ("Rscript", ["-e"]),
    ]

    /// The code options of the shell or interpreter `word` names (`/usr/bin/python3.11` is `python`), or nil.
    private static func codeOptions(ofProgram word: String) -> Set<String>? {
        let name = (word as NSString).lastPathComponent
        return codeOptions.first { entry in
            name.hasPrefix(entry.program) && name.dropFirst(entry.program.count).allSatisfy { $0.isNumber || $0 == "." }
        }?.options
    }

    /// Whether `word` is one of `options`, or a run of short options that holds one (`-ec` for `-c`).
    private static func isCodeOption(_ word: String, among options: Set<String>) -> Bool {
        if options.contains(word) { return true }
        guard word.hasPrefix("-"), !word.hasPrefix("--"), word.count > 2, word.dropFirst().allSatisfy(\.isLetter) else { return false }
        return options.contains { $0.count == 2 && word.dropFirst().contains($0.last!) }
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

    /// The names inside `{...}` in `word`, in order.
    package static func placeholderNames(in word: String) -> [String] {
        var names: [String] = []
        var rest = word[...]
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            names.append(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return names
    }

    /// `word` with every known placeholder replaced by its value's exact bytes (a file name need not be
    /// UTF-8); unknown ones are left as written. The result is one argument, whatever the values hold.
    package static func substitute(_ word: String, _ values: [String: [UInt8]]) -> [UInt8] {
        var result: [UInt8] = []
        var rest = word[...]
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            let name = String(rest[rest.index(after: open)..<close])
            result += Array(rest[..<open].utf8)
            if let value = values[name] { result += value } else { result += Array(rest[open...close].utf8) }
            rest = rest[rest.index(after: close)...]
        }
        return result + Array(rest.utf8)
    }
}
