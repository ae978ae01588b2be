// SPDX-License-Identifier: GPL-2.0-or-later

/// File names that break careless tools: shell syntax, quoting, control characters, lookalikes of our own
/// temp files, extreme lengths, and bytes that are not UTF-8. Each is a valid Linux file name.
public enum HostileNames {
    public static let all: [[UInt8]] = texts.map { Array($0.utf8) } + [
        Array("caf".utf8) + [0xE9] + Array(".md".utf8),          // Latin-1
        [0xFF, 0xFE] + Array("raw.md".utf8),                      // never valid UTF-8
        Array("over".utf8) + [0xC0, 0xAF] + Array("long.md".utf8), // an overlong "/"
        Array("half".utf8) + [0xE2, 0x82] + Array(".md".utf8),    // a truncated sequence
        Array(repeating: UInt8(ascii: "x"), count: 252) + Array(".md".utf8),   // 255 bytes, the limit
    ]

    static let texts = [
        "with space.md", "  leading spaces.md", "trailing space.md ", "tab\there.md", "new\nline.md", "cr\rreturn.md",
        "quote\"d.md", "single'quote.md", "back\\slash.md", "$(touch pwned).md", "`touch pwned`.md", "${HOME}.md",
        "$HOME.md", "semi;touch pwned.md", "amp&touch pwned.md", "pipe|touch pwned.md", "less<more>.md",
        "glob*.md", "question?.md", "[bracket].md", "{brace,list}.md", "-leading-dash.md", "--help", "-",
        "..dots.md", "...", "#hash.md", "%percent%.md", "~tilde.md", "!bang.md", "emoji 🎉.md", "e\u{301}combining.md",
        "日本語.md", "\u{202E}dm.txt", "zero\u{200B}width.md", "bell\u{07}.md", "esc\u{1B}[31mred.md",
        "4913.md", "a.md.swp.md", "f.md___jb_tmp___.md",
    ]
}
