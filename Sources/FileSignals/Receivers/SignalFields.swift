// SPDX-License-Identifier: GPL-2.0-or-later

/// The fields of a signal that reach a receiver's process, listed once: each is `{name}` in an `exec` word and
/// `FILESIGNALS_NAME` in the environment (the JSON object on stdin has them all, and more).
enum SignalFields {
    /// The field names, in the order the environment lists them.
    static let names = ["signal", "sender", "instance", "path", "created", "moved_from", "moved_to", "source", "seq", "root"]

    /// `FILESIGNALS_MOVED_FROM` for `moved_from`.
    static func environmentName(of field: String) -> String { "FILESIGNALS_" + field.uppercased() }

    /// Each field's value for `signal`, in the order of ``names``; nil for a field that does not apply to it
    /// (`created` outside saves, `moved_from` and `moved_to` outside renames): no variable, an empty placeholder.
    static func values(of signal: SignalPayload, root: RawPath) -> [(name: String, value: [UInt8]?)] {
        [
            ("signal", Array(signal.signal.utf8)),
            ("sender", Array(signal.sender.utf8)),
            ("instance", signal.instance.bytes),
            ("path", signal.path.bytes),
            ("created", signal.created.map { Array(($0 ? "true" : "false").utf8) }),
            ("moved_from", signal.movedFrom?.bytes),
            ("moved_to", signal.movedTo?.bytes),
            ("source", Array(signal.source.rawValue.utf8)),
            ("seq", Array(String(signal.seq).utf8)),
            ("root", root.bytes),
        ]
    }
}
