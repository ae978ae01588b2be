// SPDX-License-Identifier: GPL-2.0-or-later

/// Exactly what running a receiver for one signal means: the program and its arguments, the folder, and the
/// variables added to the environment. `filesignals explain` prints it; the dispatcher runs it.
///
/// Arguments and values are bytes, so that a file name that is not UTF-8 reaches the program exactly.
package struct ReceiverInvocation: Sendable, Hashable {
    /// What runs.
    package enum Program: Sendable, Hashable {
        /// A process: `argv[0]` is looked up on `PATH` when it has no `/`.
        case process(arguments: [[UInt8]])
        /// A Swift handler called in the bridge's process.
        case handler(name: String, options: [String: String])
        /// A closure connected in Swift, called in the bridge's process.
        case closure(SwiftReceiver)
        /// An HTTP POST of the signal as a CloudEvent, made from the outbox (not by the dispatcher).
        case request(URLReceiverSettings)
    }

    /// One variable added to the environment.
    package struct Variable: Sendable, Hashable {
        package var name: String
        package var value: [UInt8]
        /// `NAME=VALUE`, as `execve` takes it.
        package var entry: [UInt8] { Array(name.utf8) + [UInt8(ascii: "=")] + value }
    }

    package var program: Program
    /// The working folder, absolute.
    package var workingFolder: String
    /// Variables added to the bridge's own environment, in a stable order: the `FILESIGNALS_*` ones, then
    /// the receiver's `env`.
    package var environment: [Variable]

    /// How `receiver` is run for `signal`, with the bridge's root at `root`.
    ///
    /// Shell receivers get the command as `/bin/sh -c COMMAND`: the file's name reaches them only through
    /// the environment and stdin, never as shell text. Exec receivers get each word with its placeholders
    /// filled in, each word staying one argument.
    package init(receiver: ReceiverDeclaration, signal: SignalPayload, root: RawPath) {
        self.init(receiver: receiver, fields: SignalFields.values(of: signal, root: root), arguments: signal.arguments, root: root)
    }

    /// How a `batch = yes` receiver is run for `count` signals: no placeholder but `{root}` has a value (the
    /// signals are on stdin), and the environment has `FILESIGNALS_COUNT` and `FILESIGNALS_ROOT`.
    package init(receiver: ReceiverDeclaration, batchOf count: Int, root: RawPath) {
        self.init(receiver: receiver, fields: [("count", Array(String(count).utf8)), ("root", root.bytes)], arguments: [:], root: root)
    }

    private init(receiver: ReceiverDeclaration, fields: [(name: String, value: [UInt8]?)], arguments: [String: String], root: RawPath) {
        switch receiver.action {
        case .command(let command):
            program = .process(arguments: [Array("/bin/sh".utf8), Array("-c".utf8), Array(command.utf8)])
        case .exec(let words):
            let values = Dictionary(uniqueKeysWithValues: fields.map { ($0.name, $0.value ?? []) })
            program = .process(arguments: words.map { ExecWords.substitute($0, values) })
        case .handler(let name, let options):
            program = .handler(name: name, options: options)
        case .swift(let receiver):
            program = .closure(receiver)
        case .url(let settings):
            program = .request(settings)
        }
        if let cwd = receiver.cwd {
            workingFolder = cwd.hasPrefix("/") ? cwd : root.description + "/" + cwd
        } else {
            workingFolder = root.description
        }
        var environment = fields.compactMap { field in
            field.value.map { Variable(name: SignalFields.environmentName(of: field.name), value: $0) }
        }
        // Linux refuses a single environment string over 128 KiB (E2BIG): a longer argument is only in the
        // JSON on stdin.
        for (key, value) in arguments.sorted(by: { $0.key < $1.key }) where value.utf8.count <= 65536 {
            environment.append(Variable(name: "FILESIGNALS_ARG_" + key.uppercased(), value: Array(value.utf8)))
        }
        environment += receiver.environment.map { Variable(name: $0.name, value: Array($0.value.utf8)) }
        self.environment = environment
    }
}
