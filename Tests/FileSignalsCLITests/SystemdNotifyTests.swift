// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc
import Testing
import TestSupport

/// systemd's notify protocol, with the test as systemd: a datagram socket given as `NOTIFY_SOCKET`, and
/// `WATCHDOG_USEC`. The built binary.
@Suite("sd_notify", .ownThreads(timeLimit: .seconds(120)))
struct SystemdNotifyTests {
    /// A datagram socket at a path of its own, collecting what is sent to it with the time it came.
    final class NotifySocket: @unchecked Sendable {
        let path: String
        /// Where the socket lives, kept as long as it.
        private let folder: TemporaryFolder
        private let descriptor: Int32
        private let lock = NSLock()
        private var received: [(at: ContinuousClock.Instant, text: String)] = []

        init() throws {
            folder = try TemporaryFolder()
            path = folder.path + "/notify"
            descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { buffer in
                for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
            }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            try #require(bound == 0)
            let reader = Thread { [self] in
                var buffer = [UInt8](repeating: 0, count: 4096)
                while true {
                    let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
                    if count <= 0 { return }
                    let text = String(decoding: buffer[..<count], as: UTF8.self)
                    lock.lock(); received.append((.now, text)); lock.unlock()
                }
            }
            reader.start()
        }

        /// Every message so far, each split into its `NAME=VALUE` lines.
        var messages: [(at: ContinuousClock.Instant, fields: [String])] {
            lock.lock(); defer { lock.unlock() }
            return received.map { ($0.at, $0.text.split(separator: "\n").map(String.init)) }
        }

        func count(_ field: String) -> Int { messages.filter { $0.fields.contains(field) }.count }
    }

    @Test("READY=1 after the first walk with STATUS=, WATCHDOG=1 at half of WATCHDOG_USEC, RELOADING=1 then READY=1 on SIGHUP, STOPPING=1 on SIGTERM")
    func notify() throws {
        let folder = try TemporaryFolder()
        let notify = try NotifySocket()
        try folder.shell("mkdir d && echo x > d/a.md && printf '[model Doc]\\npath = d\\n' > filesignals.ini && chmod 644 filesignals.ini")
        let command = try RunningCommand(["watch"], in: folder.url, environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "1000000"])
        try #require(command.waitUntilReady(), "\(command.snapshot.stderr)")
        #expect(poll(upTo: 20) { notify.count("READY=1") == 1 })
        let ready = try #require(notify.messages.first { $0.fields.contains("READY=1") })
        #expect(ready.fields.contains { $0.hasPrefix("STATUS=watching 1 folder, 1 file") }, "\(ready.fields)")
        // Pings every half second, however idle the bridge is.
        let pingsBefore = notify.count("WATCHDOG=1")
        let started = ContinuousClock.now
        #expect(poll(upTo: 20) { notify.count("WATCHDOG=1") >= pingsBefore + 4 })
        let elapsed = ContinuousClock.now - started
        #expect(elapsed >= .milliseconds(1400), "4 pings in \(elapsed): faster than every 500 ms")
        try folder.shell("echo y > d/b.md")
        #expect(poll(upTo: 20) { notify.messages.contains { $0.fields.contains { $0.hasPrefix("STATUS=") && $0.contains("last signal seq") && $0.contains("unfinished") } } })
        command.send(SIGHUP)
        #expect(poll(upTo: 20) { notify.count("READY=1") == 2 })
        let reload = try #require(notify.messages.firstIndex { $0.fields.contains("RELOADING=1") })
        #expect(notify.messages[reload].fields.contains { $0.hasPrefix("MONOTONIC_USEC=") })
        #expect(notify.messages[(reload + 1)...].contains { $0.fields.contains("READY=1") })
        command.send(SIGTERM)
        #expect(command.waitForExit().exitStatus == 0)
        #expect(notify.count("STOPPING=1") == 1)
    }

    @Test("while the watcher thread is held up (hashing a 4 GB file) no WATCHDOG=1 is sent; once it answers, they come again")
    func busyThreadGetsNoPing() throws {
        let folder = try TemporaryFolder()
        let notify = try NotifySocket()
        let command = try RunningCommand(
            ["watch", folder.path, "--no-state", "--digests", "yes", "--digest-limit", "8G"],
            environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000"])
        try #require(command.waitUntilReady(), "\(command.snapshot.stderr)")
        #expect(poll(upTo: 20) { notify.count("WATCHDOG=1") >= 3 })
        // A sparse file: 4 GB of zeros read and hashed on the watcher's thread when its save is decided.
        try folder.shell("truncate -s 4G big.bin")
        command.wait(upTo: .seconds(120)) { $0.stderr.contains { $0.contains("post_save File big.bin") } }
        // Once the thread answers again, the pings come back.
        let afterHashing = notify.count("WATCHDOG=1")
        #expect(poll(upTo: 20) { notify.count("WATCHDOG=1") >= afterHashing + 2 })
        let pings = notify.messages.filter { $0.fields.contains("WATCHDOG=1") }.map(\.at)
        let longestGap = zip(pings, pings.dropFirst()).map { $1 - $0 }.max() ?? .zero
        #expect(longestGap > .milliseconds(600), "pings every 200 ms went on while the thread hashed: longest gap \(longestGap)")
        command.send(SIGTERM)
        _ = command.waitForExit()
    }
}
