// SPDX-License-Identifier: GPL-2.0-or-later
import Glibc

/// The kernel's pressure stall information at one moment: how long tasks have waited for a CPU and for the
/// disk since boot (the `some` lines of `/proc/pressure/cpu` and `/proc/pressure/io`), and the kernel's own
/// averages over the last ten seconds.
public struct PressureReading: Sendable, Hashable {
    /// Microseconds since boot in which at least one task was ready to run and waited for a CPU.
    public var cpuStalled: UInt64
    /// Microseconds since boot in which at least one task waited for the disk.
    public var ioStalled: UInt64
    /// The share of the last ten seconds (0 to 1) in which some task waited for a CPU, as the kernel keeps it.
    public var cpuAverage: Double
    /// The same for the disk.
    public var ioAverage: Double

    public init(cpuStalled: UInt64, ioStalled: UInt64, cpuAverage: Double = 0, ioAverage: Double = 0) {
        self.cpuStalled = cpuStalled
        self.ioStalled = ioStalled
        self.cpuAverage = cpuAverage
        self.ioAverage = ioAverage
    }
}

/// Where the reconciler learns how starved the machine is: the kernel, or a fake in a test.
public protocol PressureSource: Sendable {
    /// The counters now, or nil where the kernel keeps none (built without PSI, or a container that hides it).
    func read() -> PressureReading?
}

/// The kernel's pressure stall information (Linux 4.20 and later): `/proc/pressure/cpu` and `/proc/pressure/io`.
public struct KernelPressure: PressureSource {
    public init() {}

    public func read() -> PressureReading? {
        guard let cpu = Self.someLine(of: "/proc/pressure/cpu"), let io = Self.someLine(of: "/proc/pressure/io") else { return nil }
        return PressureReading(cpuStalled: cpu.total, ioStalled: io.total, cpuAverage: cpu.avg10 / 100, ioAverage: io.avg10 / 100)
    }

    /// The `some avg10=0.19 avg60=0.64 avg300=0.21 total=1234618` line of one pressure file.
    static func someLine(of file: String) -> (avg10: Double, total: UInt64)? {
        let descriptor = open(file, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return parseSomeLine(String(decoding: buffer[..<count], as: UTF8.self))
    }

    static func parseSomeLine(_ text: String) -> (avg10: Double, total: UInt64)? {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("some ") }) else { return nil }
        var avg10: Double?, total: UInt64?
        for field in line.split(separator: " ") {
            if field.hasPrefix("avg10=") { avg10 = Double(field.dropFirst(6)) }
            if field.hasPrefix("total=") { total = UInt64(field.dropFirst(6)) }
        }
        guard let avg10, let total else { return nil }
        return (avg10, total)
    }
}
