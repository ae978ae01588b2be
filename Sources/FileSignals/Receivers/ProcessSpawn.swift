// SPDX-License-Identifier: GPL-2.0-or-later
import CProcessSupport
import Glibc

/// Starts a program the way every process FileSignals runs is started: in a process group of its own, with
/// default signal dispositions and an empty signal mask, and with exactly three descriptors.
///
/// Inheriting nothing else matters: a descriptor the embedding program left open without close-on-exec
/// (Foundation's `Process` keeps a socket per child it watches) would otherwise live on in the child and in
/// whatever the child leaves running, and whoever waits for that descriptor to close would wait for them.
package enum ProcessSpawn {
    /// The first executable file named `program` in the folders of `searchPath` (a `PATH` value), as a
    /// NUL-terminated path; an empty entry is the current folder, as for `execvp`.
    static func lookUp(_ program: [UInt8], in searchPath: [UInt8]) -> [UInt8]? {
        for folder in searchPath.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false) {
            let candidate = (folder.isEmpty ? Array(".".utf8) : Array(folder)) + [UInt8(ascii: "/")] + program + [0]
            let isExecutable = candidate.withUnsafeBufferPointer { path in
                path.withMemoryRebound(to: CChar.self) { name -> Bool in
                    var info = stat()
                    return access(name.baseAddress!, X_OK) == 0 && stat(name.baseAddress!, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
                }
            }
            if isExecutable { return candidate }
        }
        return nil
    }

    /// Starts `arguments[0]`, run as it is when it contains `/` and looked up otherwise on the `PATH` of
    /// `environment` (the child's, which a receiver's `env = PATH=...` sets), not on this process's own.
    ///
    /// - Parameters:
    ///   - environment: the whole environment, `NAME=VALUE` each.
    ///   - workingFolder: where the child starts; nil for this process's current folder.
    ///   - stdin, stdout, stderr: descriptors that become the child's 0, 1 and 2.
    /// - Returns: the child's pid, which is also its process group; nil with `errno` set when it could not start.
    package static func start(
        arguments: [[UInt8]], environment: [[UInt8]], workingFolder: String?, stdin: Int32, stdout: Int32, stderr: Int32
    ) -> pid_t? {
        guard let program = arguments.first else {
            errno = EINVAL
            return nil
        }
        var attributes = posix_spawnattr_t()
        var actions = posix_spawn_file_actions_t()
        posix_spawnattr_init(&attributes)
        posix_spawn_file_actions_init(&actions)
        defer {
            posix_spawnattr_destroy(&attributes)
            posix_spawn_file_actions_destroy(&actions)
        }
        var everySignal = sigset_t()
        var noSignal = sigset_t()
        sigfillset(&everySignal)
        sigemptyset(&noSignal)
        posix_spawnattr_setsigdefault(&attributes, &everySignal)
        posix_spawnattr_setsigmask(&attributes, &noSignal)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        filesignals_spawn_add_closefrom(&actions, 3)
        if let workingFolder, filesignals_spawn_add_chdir(&actions, workingFolder) != 0 { return nil }

        let argv = CStringArray(arguments)
        let envp = CStringArray(environment)
        var pid: pid_t = 0
        let result: Int32
        if program.contains(UInt8(ascii: "/")) {
            result = posix_spawn(&pid, argv.pointers[0]!, &actions, &attributes, argv.pointers, envp.pointers)
        } else if let searchPath = environment.last(where: { $0.starts(with: Array("PATH=".utf8)) }) {
            // posix_spawnp would search this process's PATH: the child's is the one its config gave it.
            guard let found = lookUp(program, in: Array(searchPath.dropFirst(5))) else {
                errno = ENOENT
                return nil
            }
            result = found.withUnsafeBufferPointer { path in
                path.withMemoryRebound(to: CChar.self) { posix_spawn(&pid, $0.baseAddress!, &actions, &attributes, argv.pointers, envp.pointers) }
            }
        } else {
            result = posix_spawnp(&pid, argv.pointers[0]!, &actions, &attributes, argv.pointers, envp.pointers)
        }
        guard result == 0 else {
            errno = result
            return nil
        }
        return pid
    }
}

/// A NULL-terminated array of C strings that lives as long as the value.
private final class CStringArray {
    let pointers: [UnsafeMutablePointer<CChar>?]

    init(_ strings: [[UInt8]]) {
        pointers = strings.map { bytes in
            let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
            bytes.withUnsafeBytes { raw in
                for (index, byte) in raw.enumerated() { pointer[index] = CChar(bitPattern: byte) }
            }
            pointer[bytes.count] = 0
            return pointer
        } + [nil]
    }

    deinit { pointers.forEach { $0?.deallocate() } }
}
