// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc

/// The handlers shipped in `filesignals`.
enum BuiltInHandlers {
    /// Why a built-in handler failed.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// `log`: appends each signal, as its JSON line, to `file`.
    @Sendable static func log(_ signal: SignalPayload, _ context: HandlerRegistry.Context) async throws {
        guard let file = context.path("file") else { throw Failure(description: "log needs `file`") }
        let descriptor = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Failure(description: "cannot open \(file): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        // One write with O_APPEND: lines from concurrent runs never interleave.
        try LineOutput(descriptor: descriptor).write(signal.jsonLine())
    }

    /// `mirror`: keeps a copy of every instance under `to`, at the same relative name, removing it on delete.
    /// An instance name that would leave `to` (`..`) is refused.
    @Sendable static func mirror(_ signal: SignalPayload, _ context: HandlerRegistry.Context) async throws {
        guard let destination = context.path("to") else { throw Failure(description: "mirror needs `to`") }
        let parts = signal.instance.description.split(separator: "/")
        guard !signal.instance.bytes.starts(with: [UInt8(ascii: "/")]), !parts.contains("..") else {
            throw Failure(description: "mirror refuses \(signal.instance): it would leave \(destination)")
        }
        let target = destination + "/" + signal.instance.description
        let manager = FileManager.default
        switch signal.signal {
        case ModelSignal.postSave.rawValue:
            try manager.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let temporary = target + ".filesignals-mirror"
            try? manager.removeItem(atPath: temporary)
            try manager.copyItem(atPath: signal.path.description, toPath: temporary)
            guard rename(temporary, target) == 0 else { throw Failure(description: "cannot replace \(target): \(String(cString: strerror(errno)))") }
        case ModelSignal.postDelete.rawValue:
            if manager.fileExists(atPath: target) { try manager.removeItem(atPath: target) }
        default:
            return
        }
    }
}
