// SPDX-License-Identifier: GPL-2.0-or-later

/// Writes words the way a POSIX shell reads them back as the same single word, for what we print for
/// people to read or paste (`explain`, `check`, the `chmod` fix). Never used to build commands we run.
public enum ShellQuoting {
    /// `word` unchanged when no shell would read any of its characters specially, else in single quotes.
    public static func quote(_ word: String) -> String {
        let plain = !word.isEmpty && word.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./=+,:@%{}".contains($0)) }
        return plain ? word : "'" + word.replacing("'", with: "'\\''") + "'"
    }
}
