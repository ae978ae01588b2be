// SPDX-License-Identifier: GPL-2.0-or-later
import CProcessSupport
import Glibc

/// File systems whose files are made up by the kernel as they are read (`/proc`, `/sys`, cgroups...): inotify
/// reports nothing when they change, and reading some of them has effects (reading `/proc/kmsg` consumes the
/// kernel log). The watcher refuses them as a watched folder and does not descend into them.
enum PseudoFileSystem {
    /// `statfs` magic numbers (`<linux/magic.h>`) and the names `mount` shows.
    private static let names: [Int: String] = [
        0x9fa0: "proc", 0x6265_6572: "sysfs", 0x27e0eb: "cgroup", 0x6367_7270: "cgroup2", 0x6462_6720: "debugfs",
        0x7472_6163: "tracefs", 0x7363_6673: "securityfs", 0x1cd1: "devpts", 0x6165_676c: "pstore",
        0xcafe_4a11: "bpf", 0x6265_6570: "configfs", 0x6573_5543: "fusectl", 0x4249_4e4d: "binfmt_misc",
        0xf97c_ff8c: "selinuxfs", 0xde5e_81e4: "efivarfs", 0x1980_0202: "mqueue", 0x958458f6: "hugetlbfs",
    ]

    /// The name of the pseudo file system the open `descriptor` is on, or nil for a real one.
    static func name(of descriptor: Int32) -> String? {
        let magic = filesignals_filesystem_magic(descriptor)
        return magic < 0 ? nil : names[Int(UInt32(truncatingIfNeeded: magic))]
    }

    /// The name of the pseudo file system `path` is on, or nil for a real one (or a path that cannot be opened).
    static func name(at path: RawPath) -> String? {
        let descriptor = path.withCString { open($0, O_PATH | O_CLOEXEC) }
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        return name(of: descriptor)
    }
}
