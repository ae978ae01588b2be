// SPDX-License-Identifier: GPL-2.0-or-later
import Crypto
import Glibc

/// SHA-256 of an instance's content, read in 64 KiB blocks so that a large file never sits in memory.
public enum ContentHash {
    /// The digest of the file at `path`; for a symbolic link, of the text of its target (links are never
    /// followed). Nil when the file cannot be read (gone, or no permission).
    ///
    /// - Parameter expectedSize: the size `lstat` just gave, when the caller knows it: the buffer is sized
    ///   to it, so that a small file costs one `open`, one `read` and one `close`.
    public static func sha256(of path: RawPath, expectedSize: Int64? = nil) -> [UInt8]? {
        let descriptor = path.withCString { open($0, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK) }
        guard descriptor >= 0 else {
            // O_NOFOLLOW refuses a symbolic link with ELOOP: its digest is that of its target's text.
            return errno == ELOOP ? linkTargetDigest(path) : nil
        }
        defer { close(descriptor) }
        var hasher = SHA256()
        // Sized to the file (most are small), and not zeroed first: clearing 64 KiB for every file hashed
        // was a large part of the CPU a burst of new files cost. One byte more than expected, so that a file
        // of the expected size is read whole by one `read` that comes back short.
        let size = Int(clamping: expectedSize ?? 65535)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: min(65536, max(4096, size + 1)), alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(descriptor, buffer.baseAddress, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count < 0 { return nil }
            if count == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            // A regular file's read comes back short only at its end.
            if count < buffer.count && expectedSize != nil { break }
        }
        return Array(hasher.finalize())
    }

    private static func linkTargetDigest(_ path: RawPath) -> [UInt8]? {
        var target = [UInt8](repeating: 0, count: Int(PATH_MAX))
        let length = path.withCString { name in
            target.withUnsafeMutableBytes { readlink(name, $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count) }
        }
        guard length >= 0 else { return nil }
        return Array(SHA256.hash(data: target[..<length]))
    }

    /// `digest` as lower-case hexadecimal, as JSON lines carry it.
    public static func hex(_ digest: [UInt8]) -> String {
        var text: [UInt8] = []
        appendHex(digest, to: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// Appends `digest` as lower-case hexadecimal to `bytes`.
    static func appendHex(_ digest: [UInt8], to bytes: inout [UInt8]) {
        bytes.reserveCapacity(bytes.count + digest.count * 2)
        for byte in digest {
            bytes.append(hexDigits[Int(byte >> 4)])
            bytes.append(hexDigits[Int(byte & 0x0F)])
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}
