// SPDX-License-Identifier: GPL-2.0-or-later
import Testing

/// A config text and what reading it must give: nothing (valid), or these diagnostics, exactly.
struct ConfigCase: CustomTestStringConvertible, Sendable {
    let name: String
    let text: String
    /// `line:column: severity: message`, in file order; empty for a config with no diagnostics.
    let expected: [String]
    var testDescription: String { name }

    init(_ name: String, _ text: String, _ expected: [String] = []) {
        self.name = name
        self.text = text
        self.expected = expected
    }
}

/// The table of configs, valid and broken. Every model path used here exists in the test's root folder:
/// `content`, `content/articles`, `static/img`.
enum ConfigCases {
    static let valid: [ConfigCase] = [
        ConfigCase("an empty file", ""),
        ConfigCase("only comments and blank lines", "# a comment\n; another\n\n   \n"),
        ConfigCase("a byte order mark before the first section", "\u{FEFF}[model Article]\npath = content\n"),
        ConfigCase("CRLF line ends", "[model Article]\r\npath = content\r\nmatch = *.md\r\n"),
        ConfigCase("tabs around keys, values and comments", "[model Article]\n\tpath\t=\tcontent\t# the folder\n"),
        ConfigCase("the spec's example", """
            [filesignals]
            settle = 50ms              ; durations: 250ms, 2s, 1m
            jobs = 4
            state = .filesignals/state.db
            journal = 7d
            ignore = node_modules/ build/

            [model Article]
            path = content/articles
            match = *.md *.markdown
            exclude = drafts/**
            recursive = yes

            [model Image]
            path = static/img
            match = *.png *.jpg

            [signal published]

            [receiver rebuild]
            signal = post_save post_delete
            sender = Article
            command = make -C site
            timeout = 2m
            on_busy = queue
            when = content-changed

            [receiver thumbs]
            signal = post_save
            sender = Image
            exec = convert {path} -resize 200x {path}.thumb

            [receiver audit]
            signal = post_save post_delete published
            handler = log
            file = signals.jsonl
            """),
        ConfigCase("a quoted section name with spaces", "[model \"Blog Post\"]\npath = content\n"),
        ConfigCase("a continuation line adds to the list", "[model Article]\npath = content\nmatch = *.md\n    *.markdown\n    *.txt\n"),
        ConfigCase("a quoted value keeps # and ;", "[model A]\npath = content\n[receiver r]\nsignal = post_save\ncommand = \"echo a # b ; c\"\n"),
        ConfigCase("a # inside a word is not a comment", "[model A]\npath = content\nmatch = a#b.md\n"),
        ConfigCase("booleans in every spelling", "[model A]\npath = content\nrecursive = On\n[model B]\npath = content\nrecursive = 0\n[model C]\npath = content\nrecursive = TRUE\n"),
        ConfigCase("durations at the edges", "[filesignals]\nsettle = 0\njournal = 365d\n[model A]\npath=content\n[receiver r]\nsignal = post_save\ncommand = true\ntimeout = 1ms\n"),
        ConfigCase("a url receiver", "[model A]\npath = content\n[receiver hook]\nsignal = post_save post_delete\nurl = https://events.example.com/in\nformat = batch\nbatch = 50\nretry_for = 2h\ntimeout = 5s\ntype_prefix = com.example.\nsource = /site\n"),
        ConfigCase("a batch receiver", "[model A]\npath = content\n[receiver r]\nsignal = post_save\nexec = make -C {root}\nbatch = yes\n"),
        ConfigCase("jobs and loop_limit at their bounds", "[filesignals]\njobs = 256\nloop_limit = 1\n"),
        ConfigCase("timeout none", "[model A]\npath = content\n[receiver r]\nsignal = post_save\ncommand = true\ntimeout = none\n"),
        ConfigCase("env with a quoted value", "[model A]\npath = content\n[receiver r]\nsignal = post_save\ncommand = true\nenv = LANG=C \"GREETING=hello world\"\n"),
        ConfigCase("a custom signal with any sender", "[signal published]\n[receiver r]\nsignal = published\nsender = Newsletter\ncommand = true\n"),
        ConfigCase("state none and default_ignore off", "[filesignals]\nstate = none\ndefault_ignore = no\n"),
        ConfigCase("a model with several folders", "[model Media]\npath = static/img content\nmatch = *.png\n"),
        ConfigCase("a file name passed to a shell as an argument", "[model A]\npath = content\n[receiver r]\nsignal = post_save\nexec = sh -c 'echo \"$1\" >> log' sh {path}\n"),
        ConfigCase("an exec with quotes and placeholders", "[model A]\npath = content\n[receiver r]\nsignal = post_save\nexec = printf '%s\\n' \"{instance} was saved\" {created}\n"),
    ]

    static let broken: [ConfigCase] = [
        ConfigCase("a key outside any section", "settle = 50ms\n", ["1:1: error: key `settle` is outside any section; put it under a header such as [filesignals] or [model NAME]"]),
        ConfigCase("a section with no name", "[model]\npath = content\n", ["1:1: error: [model] needs a name: [model NAME]"]),
        ConfigCase("an empty section header", "[]\n", ["1:2: error: empty section header; expected [filesignals], [model NAME], [signal NAME] or [receiver NAME]"]),
        ConfigCase("a section header without ]", "[model Article\n", ["1:15: error: expected `]` to close the section header"]),
        ConfigCase("text after a section header", "[model A] path = x\n", ["1:11: error: unexpected text after `]`; a section header stands alone on its line"]),
        ConfigCase("an unquoted name with spaces", "[model Blog Post]\npath = content\n", ["1:12: error: a name with spaces must be quoted: [model \"Blog Post\"]"]),
        ConfigCase("an unterminated quote in a section name", "[model \"Blog Post]\n", ["1:19: error: unterminated quote in the section header; expected a closing `\"` and `]`"]),
        ConfigCase("an unknown section kind, with a suggestion", "[modle Article]\npath = content\n", ["1:1: error: unknown section kind `modle`; did you mean `model`?; expected [filesignals], [model NAME], [signal NAME] or [receiver NAME]"]),
        ConfigCase("an unknown section kind, far from any", "[database main]\n", ["1:1: error: unknown section kind `database`; expected [filesignals], [model NAME], [signal NAME] or [receiver NAME]"]),
        ConfigCase("[filesignals] with a name", "[filesignals main]\n", ["1:14: error: [filesignals] takes no name"]),
        ConfigCase("a duplicate section", "[model A]\npath = content\n[model A]\npath = content\n", ["3:1: error: duplicate section [model A]; the first is on line 1"]),
        ConfigCase("a duplicate key", "[model A]\npath = content\npath = static/img\n", ["3:1: error: duplicate key `path` in [model A]; the first is on line 2"]),
        ConfigCase("an unknown key, with a suggestion", "[model A]\npath = content\n[receiver rebuild]\nsignal = post_save\ncomand = make\n", [
            "3:1: error: [receiver rebuild] needs one of `command`, `exec`, `handler` or `url`: what to run",
            "5:1: error: unknown key `comand` in [receiver rebuild]; did you mean `command`?",
        ]),
        ConfigCase("a line that is not key = value", "[model A]\npath content\n", ["2:1: error: expected `key = value`, a `[section]` header or a comment"]),
        ConfigCase("a key with a space in it", "[model A]\nmy path = content\n", ["2:3: error: a key is one word of letters, digits, `_`, `-` and `.`; found `my path`"]),
        ConfigCase("an unterminated quote in a value", "[model A]\npath = \"content\n", ["2:8: error: unterminated quote; expected a closing `\"` on the same line"]),
        ConfigCase("a model without path", "[model A]\nmatch = *.md\n", ["1:1: error: [model A] needs `path`: the folders its instances are in"]),
        ConfigCase("an empty path", "[model A]\npath =\n", ["2:7: error: `path` needs at least one folder"]),
        ConfigCase("a bad glob", "[model A]\npath = content\nmatch = *.md [abc\n", ["3:14: error: bad pattern `[abc`: the `[` at column 1 is never closed by `]`"]),
        ConfigCase("a match pattern that names folders", "[model A]\npath = content\nmatch = drafts/\n", ["3:9: error: `drafts/` can never match: it ends with `/`, which names folders, and instances are files"]),
        ConfigCase("a match pattern with //", "[model A]\npath = content\nmatch = a//b.md\n", ["3:9: error: `a//b.md` can never match: paths never hold an empty component (`//`)"]),
        ConfigCase("a match pattern with ..", "[model A]\npath = content\nmatch = ../x.md\n", ["3:9: error: `../x.md` can never match: paths are matched without `.` and `..` components"]),
        ConfigCase("a subfolder pattern in a model that is not recursive", "[model A]\npath = content\nrecursive = no\nmatch = sub/*.md\n", ["4:9: error: `sub/*.md` can never match: the model has `recursive = no`, so no instance is in a subfolder"]),
        ConfigCase("a match pattern that is also excluded", "[model A]\npath = content\nmatch = *.md\nexclude = *.md\n", ["3:9: error: `*.md` can never match: `exclude` holds the same pattern"]),
        ConfigCase("a match pattern that is always ignored", "[model A]\npath = content\nmatch = *.swp\n", ["3:9: error: `*.swp` can never match: every file it matches is ignored (`*.swp` is in the ignore list)"]),
        ConfigCase("a bad boolean", "[model A]\npath = content\nrecursive = maybe\n", ["3:13: error: `maybe` is not a yes/no value; expected yes, no, true, false, on, off, 1 or 0"]),
        ConfigCase("a bad duration", "[filesignals]\nsettle = 2 minutes\n", ["2:10: error: `2 minutes` is not a duration; expected a whole number followed by ms, s, m, h or d, such as 250ms, 2s or 1m"]),
        ConfigCase("a fractional duration", "[filesignals]\nsettle = 1.5s\n", ["2:10: error: `1.5s` is not a duration; expected a whole number followed by ms, s, m, h or d, such as 250ms, 2s or 1m"]),
        ConfigCase("a zero timeout", "[model A]\npath = content\n[receiver r]\nsignal = post_save\ncommand = true\ntimeout = 0\n", ["6:11: error: `timeout` must be longer than 0"]),
        ConfigCase("jobs out of range", "[filesignals]\njobs = 0\nloop_limit = 10001\n", [
            "2:8: error: `jobs` is 0, out of range; expected a number from 1 to 256",
            "3:14: error: `loop_limit` is 10001, out of range; expected a number from 1 to 10000",
        ]),
        ConfigCase("batch with a handler, and with a file's placeholder", "[model A]\npath = content\n[receiver h]\nsignal = post_save\nhandler = log\nfile = x.jsonl\nbatch = yes\n[receiver e]\nsignal = post_save\nexec = convert {path}\nbatch = yes\n", [
            "7:1: error: `batch` needs `command` or `exec`: a handler is called for each signal",
            "11:1: error: [receiver e] has batch = yes and `exec` with `{path}`: `{path}` has no one value in a batch run, which serves a whole burst; read the signals from stdin, one JSON line each",
        ]),
        ConfigCase("url receivers done wrong", "[model A]\npath = content\n[receiver a]\nsignal = post_save\nurl = ftp://example.com/x\n[receiver b]\nsignal = post_save\nurl = http://example.com/x\nbatch = 5\ncwd = sub\ntimeout = none\n[receiver c]\nsignal = post_save\ncommand = true\nformat = binary\n", [
            "5:7: error: `ftp://example.com/x` is not an http:// or https:// URL with a host",
            "9:1: error: `batch` is the number of events a request carries with `format = batch`; this receiver's format is structured",
            "10:1: error: `cwd` is for command and exec receivers; a url receiver sends requests",
            "11:11: error: a url receiver's `timeout` bounds each request; `none` would let one hang for ever",
            "15:1: error: `format` is for url receivers",
        ]),
        ConfigCase("a url with a port out of range, or a password", "[model A]\npath = content\n[receiver a]\nsignal = post_save\nurl = http://127.0.0.1:99999/x\n[receiver b]\nsignal = post_save\nurl = https://alice:pw@example.com/x\n", [
            "5:7: error: `http://127.0.0.1:99999/x` has port 99999; expected 1 to 65535",
            "8:7: error: a user name or password in `url` is not sent; put a token in token_file (sent as Authorization: Bearer) instead",
        ]),
        ConfigCase("a bad digests setting and size", "[filesignals]\ndigests = maybe\ndigest_limit = 64 megabytes\n", [
            "2:11: error: `maybe` is not a digests setting; expected auto, yes or no",
            "3:16: error: `64 megabytes` is not a size; expected a whole number of bytes, or one followed by k, M or G, such as 64M",
        ]),
        ConfigCase("jobs that is not a number", "[filesignals]\njobs = four\n", ["2:8: error: `four` is not a whole number; expected a number from 1 to 256"]),
        ConfigCase("an unknown signal, with a suggestion", "[model A]\npath = content\n[receiver r]\nsignal = post_sav\ncommand = true\n", ["4:10: error: unknown signal `post_sav`; did you mean `post_save`?; declare it with [signal post_sav] or use one of pre_save, post_save, pre_delete, post_delete"]),
        ConfigCase("an unknown sender, with a suggestion", "[model Article]\npath = content\n[receiver r]\nsignal = post_save\nsender = Artcle\ncommand = true\n", ["5:10: error: unknown sender `Artcle`; did you mean `Article`?; a sender of model signals is a model declared with [model Artcle]"]),
        ConfigCase("a receiver with no signal", "[model A]\npath = content\n[receiver r]\ncommand = true\n", ["3:1: error: [receiver r] needs `signal`: the signals it receives"]),
        ConfigCase("a receiver with both command and exec", "[model A]\npath = content\n[receiver r]\nsignal = post_save\ncommand = true\nexec = true\n", ["6:1: error: [receiver r] has both `command` and `exec`; keep one"]),
        ConfigCase("a bad on_busy, with a suggestion", "[model A]\npath = content\n[receiver r]\nsignal = post_save\ncommand = true\non_busy = restrat\n", ["6:11: error: `restrat` is not a value of `on_busy`; did you mean `restart`?; expected one of `queue`, `restart`, `skip`, `parallel`"]),
        ConfigCase("a bad when", "[model A]\npath = content\n[receiver r]\nsignal = post_save\ncommand = true\nwhen = sometimes\n", ["6:8: error: `sometimes` is not a value of `when`; expected one of `always`, `created`, `content-changed`"]),
        ConfigCase("an unknown handler, with a suggestion", "[model A]\npath = content\n[receiver r]\nsignal = post_save\nhandler = logg\n", ["5:11: error: unknown handler `logg`; did you mean `log`?; known handlers: log, mirror"]),
        ConfigCase("a handler without its required option", "[model A]\npath = content\n[receiver r]\nsignal = post_save\nhandler = mirror\n", ["3:1: error: handler `mirror` of [receiver r] needs `to`"]),
        ConfigCase("an option the handler does not take", "[model A]\npath = content\n[receiver r]\nsignal = post_save\nhandler = log\nfile = x.jsonl\nfiles = y\n", ["7:1: error: unknown key `files` in [receiver r]; did you mean `file`?"]),
        ConfigCase("an exec with an unterminated quote", "[model A]\npath = content\n[receiver r]\nsignal = post_save\nexec = echo 'a b\n", ["5:13: error: unterminated single quote in `exec`"]),
        ConfigCase("a placeholder in the code a shell runs", "[model A]\npath = content\n[receiver r]\nsignal = post_save\nexec = /bin/sh -c \"echo {path}\"\n", ["5:8: error: `-c` makes `echo {path}` code for sh: a placeholder in it would make a file name code; pass it as an argument instead (exec = sh -c 'echo \"$1\"' sh {path})"]),
        ConfigCase("a placeholder in the code of an interpreter behind env", "[model A]\npath = content\n[receiver r]\nsignal = post_save\nexec = env LC_ALL=C python3 -Bc \"print('{instance}')\"\n", ["5:8: error: `-Bc` makes `print('{instance}')` code for python3: a placeholder in it would make a file name code; pass it as an argument instead (exec = sh -c 'echo \"$1\"' sh {path})"]),
        ConfigCase("an exec with an unknown placeholder", "[model A]\npath = content\n[receiver r]\nsignal = post_save\nexec = cp {pth} /backup\n", ["5:11: error: unknown placeholder `{pth}`; did you mean `{path}`?; expected one of {signal} {sender} {instance} {path} {created} {moved_from} {moved_to} {source} {seq} {root} (write {{ and }} for braces themselves)"]),
        ConfigCase("an exec whose program is a placeholder", "[model A]\npath = content\n[receiver r]\nsignal = post_save\nexec = {path} --run\n", ["5:8: error: the program of `exec` cannot come from a placeholder: a file name must never choose what runs"]),
        ConfigCase("env that is not KEY=VALUE", "[model A]\npath = content\n[receiver r]\nsignal = post_save\ncommand = true\nenv = LANG\n", ["6:7: error: `LANG` is not KEY=VALUE; quote an item that holds spaces: NAME=\"a b\""]),
        ConfigCase("env that sets a reserved variable", "[model A]\npath = content\n[receiver r]\nsignal = post_save\ncommand = true\nenv = FILESIGNALS_PATH=/etc/passwd\n", ["6:7: error: `FILESIGNALS_PATH` is set by filesignals for every run; choose another name"]),
        ConfigCase("a custom signal named like a model signal", "[signal post_save]\n", ["1:9: error: `post_save` is a built-in model signal; a custom signal needs another name"]),
        ConfigCase("an empty command", "[model A]\npath = content\n[receiver r]\nsignal = post_save\ncommand =\n", ["5:10: error: `command` is empty; expected a shell command"]),
        ConfigCase("several errors at once, in file order", "[modle A]\n[model B]\npath = content\nrecursive = perhaps\n[receiver r]\nsignal = post_save\nsender = C\ncommand = true\ntimout = 2s\n", [
            "1:1: error: unknown section kind `modle`; did you mean `model`?; expected [filesignals], [model NAME], [signal NAME] or [receiver NAME]",
            "4:13: error: `perhaps` is not a yes/no value; expected yes, no, true, false, on, off, 1 or 0",
            "7:10: error: unknown sender `C`; a sender of model signals is a model declared with [model C]",
            "9:1: error: unknown key `timout` in [receiver r]; did you mean `timeout`?",
        ]),
    ]

    static let warnings: [ConfigCase] = [
        ConfigCase("a folder that does not exist yet", "[model A]\npath = missing\n", ["2:8: warning: folder `missing` of [model A] does not exist (ROOT/missing); `watch` stops with status 66 until it does"]),
        ConfigCase("a duplicate dispatch_uid", "[model A]\npath = content\n[receiver a]\nsignal = post_save\ncommand = true\ndispatch_uid = x\n[receiver b]\nsignal = post_save\ncommand = false\ndispatch_uid = x\n", ["7:1: warning: receiver `b` has the dispatch_uid `x` and senders of receiver `a` (line 3): it is the same receiver and is ignored"]),
        ConfigCase("a dispatch_uid that is another receiver's name", "[model A]\npath = content\n[receiver a]\nsignal = post_save\ncommand = true\n[receiver b]\nsignal = post_save\ncommand = false\ndispatch_uid = a\n", ["6:1: warning: receiver `b` is known as `a`, as receiver `a` (line 3) is, for every signal it gets: it is taken for the same receiver and is ignored; give one of them a dispatch_uid of its own"]),
        ConfigCase("when on a receiver without post_save", "[model A]\npath = content\n[receiver r]\nsignal = post_delete\ncommand = true\nwhen = created\n", ["6:1: warning: `when = created` only applies to post_save, which [receiver r] does not receive"]),
    ]
}
