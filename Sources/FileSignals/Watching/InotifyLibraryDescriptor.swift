// SPDX-License-Identifier: GPL-2.0-or-later
import CInotifyTools
import Foundation
import Glibc

/// Finds libinotifytools' inotify descriptor, which the library opens and does not expose.
///
/// Comparing `/proc/self/fd` before and after `inotifytools_initialize()` would race with any thread opening
/// a descriptor meanwhile (an inotify one included). Instead the library is asked to watch a folder made for
/// the purpose, and the descriptor is the inotify one whose watches (`/proc/self/fdinfo/N` lists each watch's
/// inode) include that folder: no descriptor of anyone else can.
enum InotifyLibraryDescriptor {
    /// The descriptor of the library, initialized already; nil when it cannot be told.
    static func find() -> Int32? {
        // $TMPDIR may name a folder that cannot be written: the usual ones are tried after it.
        let folders = [NSTemporaryDirectory(), "/tmp", "/dev/shm", "/var/tmp"]
        guard let probe = folders.lazy.compactMap(makeFolder(in:)).first else { return nil }
        defer { rmdir(probe) }
        var info = stat()
        guard lstat(probe, &info) == 0, inotifytools_watch_file(probe, Int32(IN_DELETE_SELF)) != 0 else { return nil }
        defer { inotifytools_remove_watch_by_filename(probe) }
        let needle = " ino:" + String(UInt64(info.st_ino), radix: 16) + " "
        return inotifyDescriptors().first { descriptor in
            guard let details = try? String(contentsOfFile: "/proc/self/fdinfo/\(descriptor)", encoding: .utf8) else { return false }
            return details.split(separator: "\n").contains { $0.hasPrefix("inotify wd:") && $0.contains(needle) }
        }
    }

    /// A new empty folder in `parent`, or nil.
    private static func makeFolder(in parent: String) -> String? {
        var template = Array((parent + "/filesignals-probe-XXXXXX").utf8CString)
        return template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }.map { String(cString: $0) }
    }

    /// Every inotify descriptor of the process.
    private static func inotifyDescriptors() -> [Int32] {
        guard let directory = opendir("/proc/self/fd") else { return [] }
        defer { closedir(directory) }
        var result: [Int32] = []
        var target = [CChar](repeating: 0, count: 64)
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            guard let fd = Int32(name) else { continue }
            let length = readlink("/proc/self/fd/\(fd)", &target, target.count - 1)
            guard length > 0 else { continue }
            let link = String(decoding: target[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if link == "anon_inode:inotify" { result.append(fd) }
        }
        return result
    }
}
