// SPDX-License-Identifier: GPL-2.0-or-later
import CProcessSupport
import Glibc

/// Reaching a file of the watched tree without ever leaving it.
///
/// The folders a model names are resolved once (`realpath`) when the config is read, so every path the
/// bridge builds below them holds no symbolic link where it was made. Someone who can write into a watched
/// folder can replace one of its folders by a link to anywhere (`mv d old && ln -s /etc d`); `lstat` and
/// `open(O_NOFOLLOW)` refuse a link only as the last component, and would read `/etc/...` for `d/...`. Every
/// read of the tree (the state of an instance, its digest, a folder's listing and watch, the mirror's copy)
/// therefore opens its path with no link allowed in any component (openat2 with RESOLVE_NO_SYMLINKS), and
/// works on the descriptor.
extension RawPath {
    /// `open` with `flags` (O_CLOEXEC added), failing with ELOOP or ENOTDIR when any component of the path
    /// is a symbolic link. O_PATH with O_NOFOLLOW opens a final link itself. -1 and `errno` on failure.
    func openWithoutSymlinks(_ flags: Int32) -> Int32 {
        withCString { filesignals_open_no_symlinks($0, flags) }
    }

    /// Opens the file to read its content (O_RDONLY; O_NONBLOCK, so that a pipe put where a file was cannot
    /// hold the reader up), with no link in any component, and without moving its access time where the
    /// kernel lets us (the file's owner, or root): the bridge's reads are not the user's, and a tool that
    /// goes by access times (a mail client's "new mail", a cleaner of files unused for 30 days) would take
    /// every file hashed for one just read. -1 and `errno` on failure.
    func openContentForReading() -> Int32 {
        let flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK
        let descriptor = openWithoutSymlinks(flags | O_NOATIME)
        // Another user's file: read it all the same, its access time moving as for any reader.
        if descriptor < 0 && errno == EPERM { return openWithoutSymlinks(flags) }
        return descriptor
    }

    /// `lstat` of the path, refusing a symbolic link in any folder above it. Nil (with `errno`) when it
    /// cannot be reached that way.
    func statWithoutSymlinks() -> stat? {
        let descriptor = openWithoutSymlinks(O_PATH | O_NOFOLLOW)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        return info
    }
}

/// O_PATH from `<fcntl.h>`, which Swift's Glibc module leaves out (it is a GNU extension).
let O_PATH = filesignals_o_path

/// O_NOATIME from `<fcntl.h>`, left out for the same reason.
let O_NOATIME = filesignals_o_noatime
