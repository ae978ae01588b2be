// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

extension SignalPayload {
    /// The signal as one JSON line (with its `\n`), keys in the stable order of `SPEC.md` section 6.
    ///
    /// A name that is not valid UTF-8 is written with U+FFFD in `instance` and `path`, and its exact bytes,
    /// base64, in `instance_b64`, so that nothing is lost.
    public func jsonLine() -> [UInt8] {
        var json = JSONWriter()
        json.string("type", "signal")
        json.integer("seq", seq)
        json.time("time", time)
        json.string("signal", signal)
        json.string("sender", sender)
        json.path("instance", instance)
        if !instance.isValidUTF8 {
            json.string("instance_b64", Data(instance.bytes).base64EncodedString())
        }
        json.path("path", path)
        if let created { json.bool("created", created) }
        if let movedFrom {
            json.path("moved_from", movedFrom)
            if !movedFrom.isValidUTF8 { json.string("moved_from_b64", Data(movedFrom.bytes).base64EncodedString()) }
        }
        if let movedTo {
            json.path("moved_to", movedTo)
            if !movedTo.isValidUTF8 { json.string("moved_to_b64", Data(movedTo.bytes).base64EncodedString()) }
        }
        json.string("source", source.rawValue)
        if let changes { json.strings("changes", changes.names) }
        if let state {
            json.integer("size", state.size)
            json.time("mtime", Timestamp(nanosecondsSinceEpoch: state.mtimeNanoseconds))
            json.integer("inode", state.inode)
        }
        if let sha256 { json.hex("sha256", sha256) }
        if !arguments.isEmpty {
            json.object("args") { object in
                for (key, value) in arguments.sorted(by: { $0.key < $1.key }) { object.string(dynamicKey: key, value) }
            }
        }
        if signal == ModelSignal.preSave.rawValue || signal == ModelSignal.postSave.rawValue {
            if let previous {
                json.object("previous") { object in
                    object.integer("size", previous.size)
                    object.time("mtime", Timestamp(nanosecondsSinceEpoch: previous.mtimeNanoseconds))
                    object.integer("inode", previous.inode)
                    if let previousSHA256 { object.hex("sha256", previousSHA256) }
                }
            } else {
                json.null("previous")
            }
        }
        return json.finishedLine()
    }

    /// A short line for people: `post_save File notes/a.md (created)`.
    public func humanLine() -> String {
        var line = "\(signal) \(sender) \(instance)"
        if created == true { line += " (created)" }
        if let movedFrom { line += " (from \(movedFrom))" }
        if let movedTo { line += " (to \(movedTo))" }
        if source != .live { line += " [\(source.rawValue)]" }
        return line
    }
}
