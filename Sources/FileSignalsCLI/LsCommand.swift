// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import FileSignals
import Glibc

/// `filesignals ls [MODEL]`: the instances on disk now.
struct LsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List models and their instances.",
        discussion: """
            With MODEL, prints that model's instance names, one per line. Without, prints every instance as \
            MODEL, a tab, and the instance name. Names are relative to the config's folder. With -0, entries \
            end with a NUL byte instead of a newline, for `xargs -0`.
            """
    )

    @OptionGroup var config: ConfigOptions

    @Argument(help: ArgumentHelp("Only this model.", valueName: "model"))
    var model: String?

    @Flag(name: .customShort("0"), help: "End each entry with a NUL byte instead of a newline, and keep names' exact bytes (without -0, control characters in names are written out: \\n, \\e, \\xNN).")
    var nulSeparated = false

    init() {}

    func run() throws {
        let loaded = try config.load()
        let names = loaded.models.map(\.name)
        if let model, !names.contains(model) {
            throw ValidationError("unknown model `\(model)`\(NearestWord.hint(for: model, among: names)); the config declares \(names.joined(separator: ", "))")
        }
        let terminator: UInt8 = nulSeparated ? 0 : UInt8(ascii: "\n")
        var output: [UInt8] = []
        for runtime in loaded.runtimeModels where model == nil || runtime.name == model {
            let instances = runtime.instancesOnDisk { folder, code in
                Log.warning("cannot read folder \(folder): \(String(cString: strerror(code)))")
            }
            for instance in instances {
                if model == nil { output += Array(runtime.name.utf8) + [UInt8(ascii: "\t")] }
                // With -0, the name's exact bytes: a name that is not UTF-8 still reaches `xargs -0` intact. One
                // per line, its control characters are written out: a newline in a name cannot make two lines.
                let name = instance.instanceName.bytes
                output += (nulSeparated ? name : TerminalText.escaped(name)) + [terminator]
            }
        }
        try LineOutput.standardOutput.write(output)
    }
}
