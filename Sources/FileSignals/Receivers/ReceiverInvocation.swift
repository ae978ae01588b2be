// SPDX-License-Identifier: GPL-2.0-or-later

/// Exactly what running a receiver for one signal means: the program and its arguments, the folder, and the
/// variables added to the environment. `filesignals explain` prints it; the dispatcher runs it.
public struct ReceiverInvocation: Sendable, Hashable {
    /// What runs.
    public enum Program: Sendable, Hashable {
        /// A process: `argv[0]` is looked up on `PATH` when it has no `/`.
        case process(arguments: [String])
        /// A Swift handler called in the bridge's process.
        case handler(name: String, options: [String: String])
    }

    public var program: Program
    /// The working folder, absolute.
    public var workingFolder: String
    /// Variables added to the bridge's own environment, in a stable order: the `FILESIGNALS_*` ones, then
    /// the receiver's `env`.
    public var environment: [(name: String, value: String)]

    public static func == (lhs: ReceiverInvocation, rhs: ReceiverInvocation) -> Bool {
        lhs.program == rhs.program && lhs.workingFolder == rhs.workingFolder
            && lhs.environment.map(\.name) == rhs.environment.map(\.name)
            && lhs.environment.map(\.value) == rhs.environment.map(\.value)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(program)
        hasher.combine(workingFolder)
    }

    /// How `receiver` is run for `signal`, with the bridge's root at `root`.
    ///
    /// Shell receivers get the command as `/bin/sh -c COMMAND`: the file's name reaches them only through
    /// the environment and stdin, never as shell text. Exec receivers get each word with its placeholders
    /// filled in, each word staying one argument.
    public init(receiver: ReceiverDeclaration, signal: SignalPayload, root: RawPath) {
        let values = Self.placeholderValues(for: signal, root: root)
        switch receiver.action {
        case .command(let command):
            program = .process(arguments: ["/bin/sh", "-c", command])
        case .exec(let words):
            program = .process(arguments: words.map { ExecWords.substitute($0, values) })
        case .handler(let name, let options):
            program = .handler(name: name, options: options)
        }
        if let cwd = receiver.cwd {
            workingFolder = cwd.hasPrefix("/") ? cwd : root.description + "/" + cwd
        } else {
            workingFolder = root.description
        }
        var environment: [(name: String, value: String)] = [
            ("FILESIGNALS_SIGNAL", signal.signal),
            ("FILESIGNALS_SENDER", signal.sender),
            ("FILESIGNALS_INSTANCE", signal.instance.description),
            ("FILESIGNALS_PATH", signal.path.description),
        ]
        if let created = signal.created { environment.append(("FILESIGNALS_CREATED", created ? "true" : "false")) }
        environment += [
            ("FILESIGNALS_SOURCE", signal.source.rawValue),
            ("FILESIGNALS_SEQ", String(signal.seq)),
            ("FILESIGNALS_ROOT", root.description),
        ]
        environment += receiver.environment.map { ($0.name, $0.value) }
        self.environment = environment
    }

    /// The value of each `{placeholder}` of an exec receiver for `signal`.
    static func placeholderValues(for signal: SignalPayload, root: RawPath) -> [String: String] {
        [
            "signal": signal.signal,
            "sender": signal.sender,
            "instance": signal.instance.description,
            "path": signal.path.description,
            "created": signal.created.map { $0 ? "true" : "false" } ?? "",
            "moved_from": "",
            "moved_to": "",
            "seq": String(signal.seq),
            "source": signal.source.rawValue,
            "root": root.description,
        ]
    }
}
