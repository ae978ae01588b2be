// SPDX-License-Identifier: GPL-2.0-or-later
import Crypto
import Glibc

/// SHA-256 of an instance's content, read in 64 KiB blocks so that a large file never sits in memory.
public enum ContentHash {
    /// The digest of the file at `path`; for a symbolic link, of the text of its target (links are never
    /// followed, in the path or at its end). Nil when the file cannot be read (gone, no permission, or
    /// reached only through a symbolic link), or is not a regular file or a link.
    ///
    /// - Parameter expectedSize: the size `lstat` just gave, when the caller knows it: the buffer is sized
    ///   to it, so that a small file costs one `open`, one `read` and one `close`.
    public static func sha256(of path: RawPath, expectedSize: Int64? = nil) -> [UInt8]? {
        let descriptor = path.openContentForReading()
        guard descriptor >= 0 else {
            // A symbolic link at the end (or above it) is refused with ELOOP: a link's digest is that of
            // its target's text.
            return errno == ELOOP ? linkTargetDigest(path) : nil
        }
        defer { close(descriptor) }
        // Only regular files are read: a device or a file of /proc may block, or be consumed by the reading.
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
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

    /// The digest of the text of the symbolic link at `path`; nil when a folder above it is a link too.
    private static func linkTargetDigest(_ path: RawPath) -> [UInt8]? {
        let link = path.openWithoutSymlinks(O_PATH | O_NOFOLLOW)
        guard link >= 0 else { return nil }
        defer { close(link) }
        var target = [UInt8](repeating: 0, count: Int(PATH_MAX))
        // readlinkat with an empty name reads the link the descriptor is.
        let length = target.withUnsafeMutableBytes { readlinkat(link, "", $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count) }
        guard length >= 0 else { return nil }
        return sha256(of: target[..<length])
    }

    /// The digest of bytes in memory (a link's target text).
    static func sha256(of bytes: ArraySlice<UInt8>) -> [UInt8] { Array(SHA256.hash(data: bytes)) }

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
