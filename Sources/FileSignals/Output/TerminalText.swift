// SPDX-License-Identifier: GPL-2.0-or-later

/// Text made safe to show on a terminal: a file name (or a config value) can hold a newline that forges a
/// log line, or escape sequences that clear and recolour the screen. Every human-readable line the command
/// line prints goes through here; JSON lines escape by JSON's own rules, and `ls -0` keeps exact bytes.
package enum TerminalText {
    /// `bytes` with each control character written out: `\n`, `\r`, `\t`, `\e`, or `\xNN` for the other C0
    /// controls and DEL, `\u{NN}` for the C1 controls (U+0080 to U+009F, which some terminals obey), for the
    /// line and paragraph separators (U+2028, U+2029), and for the characters that hide or reorder what is
    /// shown: zero-width spaces and direction marks (U+200B to U+200F), bidirectional embeddings, overrides
    /// and isolates (U+202A to U+202E, U+2066 to U+2069). Every other byte, invalid UTF-8 included, is kept.
    package static func escaped(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        func append(_ text: String) { result += Array(text.utf8) }
        while index != bytes.endIndex {
            let byte = bytes[index]
            let next = bytes.index(after: index)
            switch byte {
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x09: append("\\t")
            case 0x1B: append("\\e")
            case 0x00..<0x20, 0x7F: append("\\x" + hex(byte))
            case 0xC2 where next != bytes.endIndex && (0x80...0x9F).contains(bytes[next]):
                // A C1 control, encoded in UTF-8.
                append("\\u{" + hex(bytes[next]) + "}")
                index = bytes.index(after: next)
                continue
            case 0xE2:
                // U+200B-U+200F (zero-width spaces, direction marks) are E2 80 8B-8F; U+2028-U+202E (line and
                // paragraph separators, embeddings and overrides) E2 80 A8-AE; U+2066-U+2069 (isolates) E2 81 A6-A9.
                let rest = Array(bytes[next...].prefix(2))
                let isHidden = rest.count == 2
                    && ((rest[0] == 0x80 && ((0x8B...0x8F).contains(rest[1]) || (0xA8...0xAE).contains(rest[1])))
                        || (rest[0] == 0x81 && (0xA6...0xA9).contains(rest[1])))
                if isHidden {
                    let scalar = rest[0] == 0x80 ? 0x2000 + Int(rest[1]) - 0x80 : 0x2040 + Int(rest[1]) - 0x80
                    append("\\u{" + String(scalar, radix: 16) + "}")
                    index = bytes.index(next, offsetBy: 2)
                    continue
                }
                result.append(byte)
            default: result.append(byte)
            }
            index = next
        }
        return result
    }

    /// `text` with its control characters written out (see ``escaped(_:)-(Collection<UInt8>)``).
    package static func escaped(_ text: String) -> String {
        String(decoding: escaped(Array(text.utf8)), as: UTF8.self)
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }
}
