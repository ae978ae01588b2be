// SPDX-License-Identifier: GPL-2.0-or-later
import CProcessSupport
import FileSignals
import Foundation
import Glibc
import Synchronization

/// systemd's notify protocol (`sd_notify`), spoken when systemd gives a `NOTIFY_SOCKET`: `READY=1` once the
/// first walk is done, `STATUS=` with what is watched and how far behind the bridge is, `RELOADING=1` around a
/// SIGHUP reload, `STOPPING=1` when stopping, and `WATCHDOG=1` at half of `WATCHDOG_USEC`, sent only while the
/// watcher thread answers (see ``Heartbeat``): a bridge stuck in a system call or a loop is restarted.
final class SystemdNotifier: Sendable {
    /// The notifier of this process, or nil when systemd did not ask for one.
    static let shared: SystemdNotifier? = SystemdNotifier(environment: ProcessInfo.processInfo.environment)

    private let descriptor: Int32
    private let address: [UInt8]
    /// Half of `WATCHDOG_USEC` when the watchdog is on for this process.
    let watchdogInterval: Duration?
    private let status = Mutex<(text: String, sent: String)>(("", ""))

    init?(environment: [String: String]) {
        guard let socketPath = environment["NOTIFY_SOCKET"], socketPath.hasPrefix("/") || socketPath.hasPrefix("@"),
              socketPath.utf8.count < 108 else { return nil }
        // An abstract socket is named with a leading NUL where the variable has `@`.
        var path = Array(socketPath.utf8)
        if path[0] == UInt8(ascii: "@") { path[0] = 0 }
        address = path
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        if let text = environment["WATCHDOG_USEC"], let microseconds = Int64(text), microseconds > 0,
           environment["WATCHDOG_PID"].map({ Int32($0) == getpid() }) ?? true {
            watchdogInterval = .microseconds(microseconds / 2)
        } else {
            watchdogInterval = nil
        }
    }

    /// Sends `fields` (`NAME=VALUE` lines) to systemd.
    func send(_ fields: String) {
        var socketAddress = sockaddr_un()
        socketAddress.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &socketAddress.sun_path) { buffer in
            for (index, byte) in address.enumerated() { buffer[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + address.count)
        let bytes = Array(fields.utf8)
        _ = withUnsafePointer(to: &socketAddress) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bytes.withUnsafeBytes { sendto(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), address, length) }
            }
        }
    }

    /// What `STATUS=` says from now on; sent now when `now`, else with the next watchdog ping.
    func setStatus(_ text: String, now: Bool = false) {
        status.withLock { $0.text = text }
        if now { sendStatusIfChanged() }
    }

    private func sendStatusIfChanged() {
        let text = status.withLock { state -> String? in
            guard state.text != state.sent else { return nil }
            state.sent = state.text
            return state.text
        }
        if let text { send("STATUS=" + text) }
    }

    /// `READY=1` after a reload, with `MONOTONIC_USEC` as `Type=notify-reload` wants it.
    func reloading() {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        send("RELOADING=1\nMONOTONIC_USEC=\(Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000)")
    }

    /// Pings the watchdog every ``watchdogInterval`` while `heartbeat` shows the watcher thread answering, from a
    /// thread of its own, for the rest of the process's life.
    func startWatchdog(_ heartbeat: Heartbeat) {
        guard let interval = watchdogInterval else { return }
        let thread = Thread {
            filesignals_name_thread("fs-watchdog")
            var asked = ContinuousClock.now
            heartbeat.request()
            while true {
                Thread.sleep(forTimeInterval: Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18)
                if heartbeat.lastBeat >= asked {
                    self.send("WATCHDOG=1")
                    self.sendStatusIfChanged()
                }
                asked = .now
                heartbeat.request()
            }
        }
        thread.start()
    }
}
