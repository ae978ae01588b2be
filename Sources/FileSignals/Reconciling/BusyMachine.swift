// SPDX-License-Identifier: GPL-2.0-or-later

/// How much longer the settle windows are while the machine is busy.
///
/// A save by unlink and create (`git checkout`), or by renaming the old file aside and writing a new one
/// (emacs, vim), leaves the instance missing for as long as the writer takes between its two steps: on an
/// idle machine microseconds, on a starved one as long as the writer waits for a CPU or for the disk in
/// between. Deciding at the end of a fixed window would turn that save into a delete and a create. So the
/// windows of the paths pending grow with two measures of starvation:
///
/// - **Pressure**: the share `p` (0 to 1) of recent time in which some task was ready to run and waited for a
///   CPU, or waited for the disk, whichever is larger, from the kernel's pressure stall information: over
///   the time since the previous reading (taken at most every ``readingInterval``), or the kernel's own
///   ten-second average when that is higher (it remembers a load that comes in bursts). The delete window is
///   multiplied by `1 + 9p`: on a machine where something waits all the time, ten times as long. The save
///   window by `1 + 2p` only: a save decided early is at worst reported in two parts, never as a delete, and
///   a burst of new files on a small machine raises the pressure by itself (its writer and the watcher
///   contend for the cores), so a larger factor would mostly delay the burst's own signals.
/// - **Late wake-ups**: when the bridge's own thread wakes later than it asked to, by `L`, it was kept from a
///   CPU for `L` itself; a writer may be kept as long, and more than once in one save. Each window is
///   lengthened by `4 L`, `L` the latest of the last ``latenessMemory`` (the largest, when several).
///
/// A window only ever grows, so the cost of a busy machine is that signals come later, never that they lie.
struct BusyMachine: Sendable {
    typealias Instant = ContinuousClock.Instant

    /// What the windows are multiplied by and lengthened by now.
    struct Stretch: Sendable, Hashable {
        var factor: Double = 1
        var extra: Duration = .zero

        func apply(to window: Duration) -> Duration { window.scaled(by: factor) + extra }
    }

    /// Which window a stretch is for.
    enum Window { case save, delete }

    static func pressureWeight(_ window: Window) -> Double { window == .delete ? 9 : 2 }
    static let latenessWeight = 4
    static let readingInterval = Duration.milliseconds(50)
    /// A previous reading older than this says nothing about now: the kernel's average stands alone.
    static let readingMemory = Duration.seconds(2)
    static let latenessMemory = Duration.seconds(10)

    /// Where pressure is read; nil where the kernel has none to give.
    private var source: (any PressureSource)?
    private var previous: (at: Instant, reading: PressureReading)?
    private var lateness: (at: Instant, by: Duration)?
    /// The share of time something waited, as of the last reading.
    private(set) var pressure = 0.0
    /// What late wake-ups add to every window, as of the last ``refresh(now:)`` or late wake-up.
    private var extra = Duration.zero

    /// What `window` is multiplied by and lengthened by now.
    func stretch(_ window: Window) -> Stretch {
        Stretch(factor: 1 + Self.pressureWeight(window) * pressure, extra: extra)
    }

    init(source: (any PressureSource)?) {
        self.source = source
    }

    /// Notes that the bridge's thread woke `late` after the moment it asked for.
    mutating func noteLateWakeUp(by late: Duration, now: Instant) {
        guard late > .zero else { return }
        if let lateness, now - lateness.at < Self.latenessMemory, lateness.by >= late { return }
        lateness = (now, late)
        updateExtra(now: now)
    }

    /// Reads the pressure again if the last reading is old enough, and forgets late wake-ups that are old.
    mutating func refresh(now: Instant) {
        if let source, previous.map({ now - $0.at >= Self.readingInterval }) ?? true {
            if let reading = source.read() {
                var share = max(reading.cpuAverage, reading.ioAverage)
                if let previous, now - previous.at <= Self.readingMemory {
                    let elapsed = Double((now - previous.at).nanoseconds) / 1000
                    let cpu = Double(reading.cpuStalled &- previous.reading.cpuStalled) / elapsed
                    let io = Double(reading.ioStalled &- previous.reading.ioStalled) / elapsed
                    share = max(share, cpu, io)
                }
                pressure = min(max(share, 0), 1)
                previous = (now, reading)
            } else {
                // No pressure information here: late wake-ups are the only measure.
                self.source = nil
            }
        }
        updateExtra(now: now)
    }

    private mutating func updateExtra(now: Instant) {
        extra = lateness.map { now - $0.at < Self.latenessMemory ? $0.by * Self.latenessWeight : .zero } ?? .zero
    }
}
