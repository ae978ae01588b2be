// SPDX-License-Identifier: GPL-2.0-or-later

/// Writes words the way a POSIX shell reads them back as the same single word, for what we print for
/// people to read or paste (`explain`, `check`, the `chmod` fix). Never used to build commands we run.
package enum ShellQuoting {
    /// `word` unchanged when no shell would read any of its characters specially, else in single quotes.
    package static func quote(_ word: String) -> String {
        let plain = !word.isEmpty && word.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./=+,:@%{}".contains($0)) }
        return plain ? word : "'" + word.replacing("'", with: "'\\''") + "'"
    }

    /// `bytes` quoted for a shell: as ``quote(_:)`` when they are UTF-8 without control characters, else in
    /// bash's `$'...'` form with `\xHH` escapes, so that nothing is lost in the printing.
    package static func quote(bytes: [UInt8]) -> String {
        if let text = String(validating: bytes, as: UTF8.self), !bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            return quote(text)
        }
        var result = "$'"
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "'"), UInt8(ascii: "\\"): result += "\\" + String(UnicodeScalar(byte))
            case 0x20..<0x7F: result += String(UnicodeScalar(byte))
            default: result += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
            }
        }
        return result + "'"
    }
}
