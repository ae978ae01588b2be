// SPDX-License-Identifier: GPL-2.0-or-later
@testable import FileSignals
import Testing
import TestSupport

/// The config reader under random and mutated text: it never crashes or hangs, every diagnostic points
/// inside the text, reading is deterministic, and some things are always refused.
@Suite("Config reader under mutation", .ownThreads(timeLimit: .seconds(120)))
struct ConfigFuzzTests {
    /// A small deterministic generator (SplitMix64), so that a failure can be replayed from its seed.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var value = state
            value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
            value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
            return value ^ (value >> 31)
        }
    }

    static let pieces: [String] = [
        "[", "]", "=", "\"", "\\", "#", ";", " ", "\t", "\n", "\r\n", "\u{FEFF}", "model", "receiver", "signal",
        "filesignals", "path", "match", "exec", "command", "handler", "{path}", "'", "é", "🎉", "\u{0}", "*", "**/",
        "[!a-", "yes", "10ms", "-1", "99999999999999999999", "   indented", "post_save",
    ]

    static let seeds: [String] = ConfigCases.valid.map(\.text) + ConfigCases.broken.map(\.text)

    private func mutate(_ text: String, _ random: inout Generator) -> String {
        var characters = Array(text)
        for _ in 0..<Int.random(in: 1...6, using: &random) {
            let position = characters.isEmpty ? 0 : Int.random(in: 0...characters.count, using: &random)
            switch Int.random(in: 0..<3, using: &random) {
            case 0:
                characters.insert(contentsOf: Self.pieces.randomElement(using: &random)!, at: position)
            case 1 where !characters.isEmpty:
                let end = min(characters.count, position + Int.random(in: 1...8, using: &random))
                if position < end { characters.removeSubrange(position..<end) }
            default:
                let other = Array(Self.seeds.randomElement(using: &random)!)
                let start = other.isEmpty ? 0 : Int.random(in: 0..<other.count, using: &random)
                characters.insert(contentsOf: other[start..<min(other.count, start + 40)], at: position)
            }
        }
        return String(characters)
    }

    @Test("3,000 mutated configs: no crash, positions inside the text, deterministic results", arguments: [1, 2, 3])
    func mutations(seed: UInt64) throws {
        let root = try TemporaryFolder()
        try root.shell("mkdir -p content/articles static/img")
        var random = Generator(state: seed)
        for _ in 0..<1000 {
            let text = mutate(Self.seeds.randomElement(using: &random)!, &random)
            let first = outcome(text, root: root)
            #expect(first == outcome(text, root: root), "not deterministic: \(text.debugDescription)")
            let lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).count
            for diagnostic in first.diagnostics {
                #expect(diagnostic.position.line >= 1 && diagnostic.position.line <= lines + 1, "\(diagnostic) in \(text.debugDescription)")
                #expect(diagnostic.position.column >= 1, "\(diagnostic) in \(text.debugDescription)")
            }
        }
    }

    @Test("a section header without its closing ] is always refused, whatever surrounds it", arguments: [4, 5])
    func unclosedHeader(seed: UInt64) {
        var random = Generator(state: seed)
        for _ in 0..<500 {
            let before = mutate(Self.seeds.randomElement(using: &random)!, &random)
            let text = before + "\n[model Broken\npath = .\n"
            let (_, errors) = IniReader.read(text, file: "t.ini")
            #expect(errors.contains { $0.message.contains("expected `]`") || $0.message.contains("unterminated quote in the section header") },
                    "accepted: \(text.debugDescription)")
        }
    }

    private struct Outcome: Equatable {
        var models: [String]
        var receivers: [String]
        var diagnostics: [ConfigDiagnostic]
    }

    private func outcome(_ text: String, root: TemporaryFolder) -> Outcome {
        let (document, syntaxErrors) = IniReader.read(text, file: "t.ini")
        do {
            let config = try ProjectConfig.load(document, syntaxErrors: syntaxErrors, root: RawPath(root.path))
            return Outcome(models: config.models.map(\.name), receivers: config.receivers.map(\.name), diagnostics: config.warnings)
        } catch {
            return Outcome(models: [], receivers: [], diagnostics: error.diagnostics)
        }
    }
}
