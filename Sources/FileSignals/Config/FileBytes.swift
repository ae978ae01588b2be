// SPDX-License-Identifier: GPL-2.0-or-later
import Glibc

/// Reads whole small files (config files) with `open` and `read`, keeping `errno` for the message.
enum FileBytes {
    /// The bytes of the file at `path`, or nil with `errno` set.
    static func read(_ path: String) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        return read(descriptor: descriptor)
    }

    /// The bytes from `descriptor` to its end, or nil with `errno` set.
    static func read(descriptor: Int32) -> [UInt8]? {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 { return nil }
            if count == 0 { return bytes }
            bytes += buffer[0..<count]
        }
    }

    /// `strerror(errno)`, lower case, for the last failed call.
    static func lastErrorDescription() -> String {
        String(cString: strerror(errno)).lowercased()
    }
}
