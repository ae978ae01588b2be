// SPDX-License-Identifier: GPL-2.0-or-later
import Glibc

/// Command-line arguments as the exact bytes the program was given. Swift's `CommandLine.arguments` (and so
/// the argument parser) turns bytes that are not UTF-8 into U+FFFD, so a folder named so could not be found.
enum RawArguments {
    /// The bytes of the process argument that `argument` was decoded from; `argument`'s own UTF-8 when it
    /// holds no replacement character (or was not one of the process's arguments).
    static func bytes(of argument: String) -> [UInt8] {
        guard argument.contains("\u{FFFD}") else { return Array(argument.utf8) }
        for index in 0..<Int(CommandLine.argc) {
            guard let pointer = CommandLine.unsafeArgv[index] else { continue }
            let bytes = UnsafeRawBufferPointer(start: pointer, count: strlen(pointer)).map { $0 }
            if String(decoding: bytes, as: UTF8.self) == argument { return bytes }
        }
        return Array(argument.utf8)
    }
}
