// SPDX-License-Identifier: GPL-2.0-or-later
import Glibc

/// One instance's copy under the `mirror` handler's destination, written with system calls on the exact bytes
/// of its name.
///
/// Nothing is ever written outside the destination: a name with a `..` component is refused, folders on the
/// way must be real folders (not symbolic links to elsewhere), no symbolic link is followed when reading or
/// writing, and a link instance is mirrored as the same link. A copy replaces the old one by rename, so a
/// reader of the mirror never sees half a file.
struct MirrorCopy {
    let destination: RawPath
    let target: RawPath
    /// The copy is written here, then renamed over the target. A name of its own, short (the target's name may
    /// already be the longest allowed) and different for every run (runs for other instances may overlap).
    let temporary: RawPath
    private let folders: [RawPath]

    init(destination: RawPath, instance: RawPath) throws(BuiltInHandlers.Failure) {
        let parts = instance.bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).map { RawPath(bytes: Array($0)) }
        guard instance.bytes.first != UInt8(ascii: "/"), !parts.isEmpty, !parts.contains(where: { $0.bytes == Array("..".utf8) }) else {
            throw .init(description: "mirror refuses \(instance): it would leave \(destination)")
        }
        self.destination = destination
        var folder = destination
        var folders: [RawPath] = []
        for part in parts.dropLast() {
            folder = folder.appending(part)
            folders.append(folder)
        }
        self.folders = folders
        target = folder.appending(parts.last!)
        temporary = folder.appending(RawPath(".filesignals-mirror-" + String(UInt64.random(in: .min ... .max), radix: 16)))
    }

    /// Copies `source` (a file or a symbolic link) to the target.
    func save(from source: RawPath) throws(BuiltInHandlers.Failure) {
        try makeFolders()
        // The source is read with no symbolic link in its path: never a file from outside the watched tree.
        let sourceLink = source.openWithoutSymlinks(O_PATH | O_NOFOLLOW)
        guard sourceLink >= 0 else { throw failure("cannot read", source) }
        defer { close(sourceLink) }
        var info = stat()
        guard fstat(sourceLink, &info) == 0 else { throw failure("cannot read", source) }
        if info.st_mode & S_IFMT == S_IFLNK {
            var link = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = readlinkat(sourceLink, "", &link, link.count - 1)
            guard length >= 0 else { throw failure("cannot read", source) }
            link[length] = 0
            guard temporary.withCString({ symlink(link, $0) }) == 0 else { throw failure("cannot write", temporary) }
        } else {
            try copyContent(from: source, to: temporary, mode: mode_t(info.st_mode & 0o777))
        }
        guard temporary.withCString({ from in target.withCString { rename(from, $0) } }) == 0 else {
            let error = failure("cannot replace", target)
            _ = temporary.withCString { unlink($0) }
            throw error
        }
    }

    /// Removes the target; one already gone is not an error.
    func remove() throws(BuiltInHandlers.Failure) {
        guard target.withCString({ unlink($0) }) == 0 || errno == ENOENT else { throw failure("cannot remove", target) }
    }

    private func makeFolders() throws(BuiltInHandlers.Failure) {
        for folder in folders {
            if folder.withCString({ mkdir($0, 0o755) }) != 0 && errno != EEXIST { throw failure("cannot make", folder) }
            var info = stat()
            guard folder.withCString({ lstat($0, &info) }) == 0, info.st_mode & S_IFMT == S_IFDIR else {
                throw .init(description: "mirror refuses to write through \(folder): it is not a folder")
            }
        }
    }

    private func copyContent(from source: RawPath, to copy: RawPath, mode: mode_t) throws(BuiltInHandlers.Failure) {
        let input = source.openContentForReading()
        guard input >= 0 else { throw failure("cannot read", source) }
        defer { close(input) }
        var info = stat()
        guard fstat(input, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw .init(description: "mirror refuses to copy \(source): it is not a regular file")
        }
        let output = copy.withCString { open($0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode) }
        guard output >= 0 else { throw failure("cannot write", copy) }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = read(input, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw failure("cannot read", source) }
            if count == 0 { return }
            do {
                try LineOutput(descriptor: output).write(Array(buffer[0..<count]))
            } catch {
                throw failure("cannot write", copy)
            }
        }
    }

    private func failure(_ what: String, _ path: RawPath) -> BuiltInHandlers.Failure {
        .init(description: "mirror \(what) \(path): \(String(cString: strerror(errno)))")
    }
}
