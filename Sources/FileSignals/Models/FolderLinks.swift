// SPDX-License-Identifier: GPL-2.0-or-later
import Glibc

/// Symbolic links on the way to a watched folder. They are followed once, when the config or the command line
/// is read (below a watched folder, never: see `RawPath+NoSymlinks.swift`), so whoever controls one chooses
/// what is watched, hashed and mirrored. A link is followed only when the folder it sits in can be written by
/// no one but the bridge's user and root (as ssh's StrictModes trusts a path), or is sticky (`/tmp`) and the
/// link is theirs; a model folder nested in a folder other users write (`path = uploads/x/sub`) cannot be made
/// to lead outside by them.
public enum FolderLinks {
    /// A symbolic link someone else could have planted on the way to a folder.
    public struct Untrusted: Sendable, Hashable {
        /// The link, as reached.
        public var link: String
        /// The folder it sits in.
        public var folder: String
    }

    /// The first symbolic link on the way to absolute `path` that sits in a folder someone other than the
    /// effective user and root can write, following the links that are trusted; nil when there is none (or
    /// the path does not exist, which is reported elsewhere).
    public static func untrustedLink(on path: String) -> Untrusted? {
        let user = geteuid()
        var pending = components(path).reversed() as [Substring]
        var current = ""
        var links = 0
        while let part = pending.popLast() {
            if part == "." || part.isEmpty { continue }
            if part == ".." {
                current = current.lastIndex(of: "/").map { String(current[..<$0]) } ?? ""
                continue
            }
            let candidate = current + "/" + part
            var info = stat()
            guard lstat(candidate, &info) == 0 else { return nil }
            guard info.st_mode & S_IFMT == S_IFLNK else {
                current = candidate
                continue
            }
            var folder = stat()
            let folderPath = current.isEmpty ? "/" : current
            guard stat(folderPath, &folder) == 0 else { return nil }
            let ownersOnly = (folder.st_uid == user || folder.st_uid == 0) && folder.st_mode & 0o022 == 0
            let stickyAndOurs = folder.st_mode & S_ISVTX != 0 && (info.st_uid == user || info.st_uid == 0)
                && (folder.st_uid == user || folder.st_uid == 0)
            guard ownersOnly || stickyAndOurs else { return Untrusted(link: candidate, folder: folderPath) }
            links += 1
            guard links <= 40, let target = readLink(candidate) else { return nil }
            if target.hasPrefix("/") { current = "" }
            pending.append(contentsOf: components(target).reversed())
        }
        return nil
    }

    private static func components(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }

    private static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink(path, &buffer, buffer.count - 1)
        guard length >= 0 else { return nil }
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
