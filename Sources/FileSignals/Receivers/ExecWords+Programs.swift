// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// Which words of an `exec` line are programs, and which are code: what a placeholder must never be.
extension ExecWords {
    /// Programs that run the program named after their options and arguments (`env`, `nice`, `timeout 5`):
    /// the options of theirs that take an argument, and how many arguments come before the program.
    private static let wrappers: [String: (optionsWithArgument: Set<String>, arguments: Int)] = [
        "env": (["-u", "--unset", "-C", "--chdir"], 0), "nice": (["-n", "--adjustment"], 0), "nohup": ([], 0),
        "setsid": ([], 0), "stdbuf": (["-i", "-o", "-e"], 0), "timeout": (["-s", "--signal", "-k", "--kill-after"], 1),
        "ionice": (["-c", "--class", "-n", "--classdata", "-p", "-P", "-u"], 0), "chrt": ([], 1), "taskset": ([], 1),
        "chroot": (["--userspec", "--groups"], 1), "sudo": (["-u", "--user", "-g", "--group", "-C", "-D", "-h", "-p", "-r", "-t", "-U"], 0),
        "doas": (["-u", "-C"], 0), "time": (["-o", "--output", "-f", "--format"], 0),
        "xargs": (["-I", "-n", "-P", "-s", "-L", "-a", "-d", "-E", "--arg-file", "--delimiter", "--max-args", "--max-procs"], 0),
        "flock": (["-w", "--timeout", "-E", "--conflict-exit-code"], 1), "unshare": ([], 0), "runuser": (["-u", "-g", "-G"], 0),
        "nsenter": (["-t", "--target"], 0), "strace": (["-o", "-e", "-p", "-s", "-u"], 0), "ltrace": (["-o", "-e", "-p", "-s", "-u"], 0),
        "valgrind": ([], 0), "catchsegv": ([], 0), "firejail": ([], 0), "systemd-run": (["-p", "--property", "-u", "--unit"], 0),
    ]

    /// Shells, interpreters and wrappers that run a word as code, with the options that make it so.
    private static let codeOptions: [(program: String, options: Set<String>)] = [
        ("sh", ["-c"]), ("bash", ["-c"]), ("dash", ["-c"]), ("zsh", ["-c"]), ("ksh", ["-c"]), ("mksh", ["-c"]),
        ("ash", ["-c"]), ("fish", ["-c", "--command"]), ("python", ["-c"]), ("perl", ["-e", "-E"]), ("ruby", ["-e"]),
        ("node", ["-e", "-p", "--eval", "--print"]), ("php", ["-r"]), ("lua", ["-e"]), ("Rscript", ["-e"]),
        ("flock", ["-c", "--command"]), ("su", ["-c", "--command"]), ("env", ["-S", "--split-string"]), ("awk", []),
        ("gawk", []), ("mawk", []), ("sed", ["-e", "--expression"]), ("osascript", ["-e"]),
    ]

    /// The indices of the programs `words` runs: the first word, and through each wrapper the program it runs
    /// (`env A=1 nice -n 5 timeout 10 {path}` runs `env`, `nice`, `timeout` and the file).
    static func programIndices(_ words: [String]) -> [Int] {
        var indices: [Int] = []
        var index = 0
        while index < words.count {
            indices.append(index)
            let name = (words[index] as NSString).lastPathComponent
            guard let wrapper = wrappers[name] else { break }
            var next = index + 1
            var arguments = wrapper.arguments
            while next < words.count {
                let word = words[next]
                if word == "--" { next += 1; break }
                if word.hasPrefix("-") && word.count > 1 {
                    next += wrapper.optionsWithArgument.contains(word) ? 2 : 1
                } else if name == "env" && word.contains("=") {
                    next += 1
                } else if arguments > 0 {
                    arguments -= 1
                    next += 1
                } else {
                    break
                }
            }
            index = next
        }
        return indices
    }

    /// The refusal of a placeholder in code that the program at `program` runs: in the word a code option
    /// makes code (`sh -c CODE`, `bash -c -x CODE`, `sh -c -- CODE`, `python3 -c CODE`), or in any option
    /// before it (`python3 -cCODE`); an awk or sed program's first word is its code even without an option.
    /// Nil when there is none; the words after the code (or a script's name) are arguments, free to hold one.
    static func codeWordWithPlaceholder(_ words: [String], program: Int) -> Refusal? {
        let name = (words[program] as NSString).lastPathComponent
        guard let options = codeOptions.first(where: { entry in
            name.hasPrefix(entry.program) && name.dropFirst(entry.program.count).allSatisfy { $0.isNumber || $0 == "." }
        })?.options else { return nil }
        let firstWordIsCode = ["awk", "gawk", "mawk", "sed"].contains { name.hasPrefix($0) }
        var codeOption: Int?
        for index in words.indices where index > program {
            let word = words[index]
            let holds = !placeholderNames(in: word).isEmpty
            if word.hasPrefix("-") && word.count > 1 {
                if holds { return .placeholderInCode(index: index, option: index, program: name) }
                if isCodeOption(word, among: options) { codeOption = index }
                continue
            }
            // The first word that is no option: the code when an option (or the program) says so, else a script.
            if let option = codeOption ?? (firstWordIsCode ? program : nil), holds {
                return .placeholderInCode(index: index, option: option, program: name)
            }
            return nil
        }
        return nil
    }

    /// Whether `word` is one of `options`, or a run of short options that holds one (`-ec` for `-c`).
    private static func isCodeOption(_ word: String, among options: Set<String>) -> Bool {
        if options.contains(word) { return true }
        guard word.hasPrefix("-"), !word.hasPrefix("--"), word.count > 2, word.dropFirst().allSatisfy(\.isLetter) else { return false }
        return options.contains { $0.count == 2 && word.dropFirst().contains($0.last!) }
    }
}
