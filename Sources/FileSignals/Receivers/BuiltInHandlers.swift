// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc

/// The handlers shipped in `filesignals`.
enum BuiltInHandlers {
    /// Each one, with what a config section may set for it: the one list of built-in handlers.
    static let all: [(description: HandlerDescription, handler: HandlerRegistry.Handler)] = [
        (HandlerDescription(name: "log", options: ["file"], requiredOptions: ["file"], writes: .file(option: "file")), log),
        (HandlerDescription(name: "mirror", options: ["to"], requiredOptions: ["to"], writes: .folder(option: "to")), mirror),
    ]

    /// Why a built-in handler failed.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// `log`: appends each signal, as its JSON line, to `file`.
    @Sendable static func log(_ signal: SignalPayload, _ context: HandlerRegistry.Context) async throws {
        guard let file = context.path("file") else { throw Failure(description: "log needs `file`") }
        // Never through a symbolic link: one planted at `file` would make a bridge run as root append anywhere.
        let descriptor = open(file, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            let reason = errno == ELOOP ? "it is a symbolic link, which log never writes through" : String(cString: strerror(errno))
            throw Failure(description: "cannot open \(file): \(reason)")
        }
        defer { close(descriptor) }
        // One write with O_APPEND: lines from concurrent runs never interleave.
        try LineOutput(descriptor: descriptor).write(signal.jsonLine())
    }

    /// `mirror`: keeps a copy of every instance under `to`, at the same relative name (byte for byte, so a
    /// name that is not UTF-8 is mirrored exactly), removing it on delete. See ``MirrorCopy``.
    @Sendable static func mirror(_ signal: SignalPayload, _ context: HandlerRegistry.Context) async throws {
        guard let destination = context.path("to") else { throw Failure(description: "mirror needs `to`") }
        let copy = try MirrorCopy(destination: RawPath(destination), instance: signal.instance)
        switch signal.signal {
        case ModelSignal.postSave.rawValue: try copy.save(from: signal.path)
        case ModelSignal.postDelete.rawValue: try copy.remove()
        default: return
        }
    }
}
