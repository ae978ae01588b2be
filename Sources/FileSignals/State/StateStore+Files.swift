// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc

/// The state's own files, made with care: the bridge often runs as root over folders others can write into.
extension StateStore {
    /// Makes the state folder when it is missing (`0700`), and checks that it is safe to write in.
    static func makeFolder(containing path: String) throws(StateError) {
        let folder = (path as NSString).deletingLastPathComponent
        guard !folder.isEmpty else { return }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .unavailable(path: path, reason: "cannot create the folder \(folder): \(error.localizedDescription)")
        }
        var info = stat()
        guard lstat(folder, &info) == 0 else { throw .unavailable(path: path, reason: String(cString: strerror(errno)).lowercased()) }
        if info.st_mode & S_IFMT == S_IFLNK { throw .unsafe(path: path, reason: "its folder \(folder) is a symbolic link") }
        if info.st_uid != geteuid() { throw .unsafe(path: path, reason: "its folder \(folder) belongs to another user (uid \(info.st_uid))") }
        // A sticky folder (/tmp) is fine: others cannot rename or remove what is ours there, and what they
        // could plant in advance (the write-ahead log's name) is checked below like the database.
        if info.st_mode & 0o022 != 0 && info.st_mode & S_ISVTX == 0 {
            throw .unsafe(path: path, reason: "its folder \(folder) can be written by group or others (chmod go-w)")
        }
        // The folders above it too: whoever may rename one of them could swap the state folder for another
        // between these checks and SQLite's own opens by path.
        let absolute = absolutePath(folder)
        if let untrusted = FolderLinks.untrustedLink(on: absolute) {
            throw .unsafe(path: path, reason: "the way to it goes through \(untrusted.link), a symbolic link in \(untrusted.folder), which others can write")
        }
        var above = (absolute as NSString).deletingLastPathComponent
        while !above.isEmpty {
            var ancestor = stat()
            if stat(above, &ancestor) == 0 {
                let isOurs = ancestor.st_uid == geteuid() || ancestor.st_uid == 0
                if !isOurs || (ancestor.st_mode & 0o022 != 0 && ancestor.st_mode & S_ISVTX == 0) {
                    throw .unsafe(path: path, reason: "the folder \(above) above it belongs to another user or can be written by others")
                }
            }
            if above == "/" { break }
            above = (above as NSString).deletingLastPathComponent
        }
    }

    /// Opens (creating `0600` when missing) one of the state's files, refusing a symbolic link, a file of
    /// another user, and anything but a regular file with one name.
    static func openStateFile(_ file: String, database path: String) throws(StateError) -> Int32 {
        let descriptor = open(file, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            if errno == ELOOP { throw .unsafe(path: path, reason: "\(file) is a symbolic link") }
            throw .unavailable(path: path, reason: String(cString: strerror(errno)).lowercased())
        }
        var info = stat()
        let problem: String? =
            fstat(descriptor, &info) != 0 ? String(cString: strerror(errno))
            : info.st_mode & S_IFMT != S_IFREG ? "\(file) is not a regular file"
            : info.st_uid != geteuid() ? "\(file) belongs to another user (uid \(info.st_uid))"
            : info.st_nlink > 1 ? "\(file) has other names (hard links)"
            : nil
        if let problem {
            close(descriptor)
            throw .unsafe(path: path, reason: problem)
        }
        return descriptor
    }

    /// What SQLite keeps beside a database at `PATH`: its write-ahead log, shared-memory index and rollback
    /// journal.
    package static let companionSuffixes = ["-wal", "-shm", "-journal"]

    /// The file beside the database at `path` that names the process holding it.
    static func lockFile(of path: String) -> String { path + ".lock" }

    /// Every file of the database at `path`: itself, its companions and its lock file.
    package static func files(of path: String) -> [String] {
        [path] + companionSuffixes.map { path + $0 } + [lockFile(of: path)]
    }

    /// Whether a bridge holds the database at `path` (its exclusive lock on the database file, ``lock(_:)``).
    package static func isHeld(_ path: String) -> Bool {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        return flock(descriptor, LOCK_SH | LOCK_NB) != 0
    }

    /// The pid of the bridge holding the database at `path`, or nil when none does (the pid file is read only
    /// while the lock is held, so that a stale one never names another process).
    package static func holder(of path: String) -> pid_t? {
        guard isHeld(path) else { return nil }
        guard let text = try? String(contentsOfFile: lockFile(of: path), encoding: .utf8), let pid = pid_t(text.trimmingWhitespace()), pid > 0 else { return nil }
        return isHeld(path) ? pid : nil
    }

    /// Takes the exclusive lock of the database file, writing our pid into `PATH.lock` for the message a
    /// second watcher gets.
    /// - Returns: the database file's descriptor, which holds the lock while it is open.
    static func lock(_ path: String) throws(StateError) -> Int32 {
        let database = try openStateFile(path, database: path)
        let pidFile: Int32
        do {
            pidFile = try openStateFile(lockFile(of: path), database: path)
            // SQLite makes these beside the database: made here first, they cannot be links or files planted in
            // advance. A rollback journal is even played back into the database at open; an empty one is taken
            // for none.
            for companion in companionSuffixes { close(try openStateFile(path + companion, database: path)) }
        } catch {
            close(database)
            throw error
        }
        defer { close(pidFile) }
        if flock(database, LOCK_EX | LOCK_NB) != 0 {
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = buffer.withUnsafeMutableBytes { pread(pidFile, $0.baseAddress, $0.count, 0) }
            close(database)
            let holder = count > 0 ? String(decoding: buffer[..<count], as: UTF8.self).trimmingWhitespace() : nil
            throw .locked(path: path, holder: holder.flatMap { $0.isEmpty ? nil : $0 })
        }
        ftruncate(pidFile, 0)
        let pid = Array("\(getpid())\n".utf8)
        _ = pid.withUnsafeBytes { pwrite(pidFile, $0.baseAddress, $0.count, 0) }
        return database
    }
}
