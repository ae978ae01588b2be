// SPDX-License-Identifier: GPL-2.0-or-later
@testable import FileSignals
import Testing
import TestSupport

/// The rules that keep a file name from choosing what runs or becoming code, through every way a program's
/// code can be given (found by an attacker's review), and braces that are no placeholder left as written.
@Suite("exec words", .ownThreads())
struct ExecWordsTests {
    @Test("a placeholder in code, however the code is given, is refused", arguments: [
        ["sh", "-c", "echo {path}"], ["sh", "-c", "--", "echo {path}"], ["bash", "-c", "-x", "echo {instance}"],
        ["bash", "-ec", "echo {path}"], ["python3", "-cprint('{instance}')"], ["python3", "-B", "-c", "print('{path}')"],
        ["env", "LC_ALL=C", "python3", "-c", "print('{path}')"], ["timeout", "5", "sh", "-c", "cat {path}"],
        ["nice", "-n", "5", "perl", "-e", "print '{path}'"], ["env", "-S", "sh -c {path}"],
        ["awk", "{print \"{path}\"}"], ["sed", "-e", "s/x/{instance}/", "f"], ["sudo", "-u", "me", "bash", "-c", "rm {path}"],
    ])
    func codeRefused(_ words: [String]) {
        #expect(ExecWords.refusals(of: words).contains { if case .placeholderInCode = $0 { true } else { false } }, "\(words)")
    }

    @Test("a placeholder as the program, also behind a wrapper, is refused", arguments: [
        ["{path}"], ["env", "{instance}"], ["env", "A=1", "{path}"], ["nice", "{path}"], ["nice", "-n", "5", "{path}"],
        ["timeout", "5", "{path}"], ["timeout", "-s", "KILL", "5", "{path}"], ["nohup", "{path}"], ["stdbuf", "-o", "L", "{path}"],
        ["env", "--", "{path}"], ["xargs", "-I", "X", "{path}"], ["flock", "/tmp/l", "-c", "cat {path}"],
    ])
    func programRefused(_ words: [String]) {
        #expect(ExecWords.refusals(of: words).contains(.programFromPlaceholder), "\(words)")
    }

    @Test("arguments stay free to hold a placeholder", arguments: [
        ["sh", "-c", "echo \"$1\"", "sh", "{path}"], ["python3", "script.py", "{path}"], ["convert", "{path}", "{path}.png"],
        ["timeout", "5", "cat", "{path}"], ["env", "A=1", "cat", "{path}"], ["awk", "{print $1}", "{path}"], ["sed", "-i", "s/a/b/", "{path}"],
        ["bash", "script.sh", "-x", "{path}"],
    ])
    func argumentsAllowed(_ words: [String]) {
        #expect(ExecWords.refusals(of: words).isEmpty, "\(ExecWords.refusals(of: words))")
    }

    @Test("braces that are no placeholder stay as written; {{ and }} are braces themselves")
    func braces() {
        let values = ["path": Array("/w/a b.md".utf8), "signal": Array("post_save".utf8)]
        #expect(ExecWords.substitute("{path, signal}", values) == Array("{path, signal}".utf8))
        #expect(ExecWords.substitute("{print}", values) == Array("{print}".utf8))
        #expect(ExecWords.substitute("{}", values) == Array("{}".utf8))
        #expect(ExecWords.substitute("{{path}}", values) == Array("{path}".utf8))
        #expect(ExecWords.substitute("{\"p\": {path}}", values) == Array("{\"p\": /w/a b.md}".utf8))
        #expect(ExecWords.refusals(of: ["jq", "-c", "{path, signal}"]).isEmpty)
        #expect(ExecWords.refusals(of: ["cp", "{pth}", "/b"]) == [.unknownPlaceholder("pth")])
    }
}
