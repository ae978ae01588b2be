// SPDX-License-Identifier: GPL-2.0-or-later
@testable import FileSignals
import Synchronization
import Testing
import TestSupport

/// A kernel whose pressure counters the test sets.
final class FakePressure: PressureSource {
    private let reading = Mutex<PressureReading?>(PressureReading(cpuStalled: 0, ioStalled: 0))

    func read() -> PressureReading? { reading.withLock { $0 } }

    func set(_ new: PressureReading?) { reading.withLock { $0 = new } }
}

/// The windows on a busy machine: a late wake-up of the bridge's thread or the kernel's pressure stall
/// information makes them longer, so that a writer held up between its unlink and its create is still seen
/// saving, not deleting. A fake disk, a fake clock and a fake kernel.
@Suite("Windows on a busy machine", .ownThreads())
struct BusyMachineTests {
    let disk = FakeDisk()
    let pressure = FakePressure()
    let model: Model
    let start = ContinuousClock.now

    init() throws {
        model = Model(name: "Note", folders: [Model.Folder(path: RawPath("/w"))], match: [try GlobPattern("*.md")], exclusions: .defaultIgnores)
    }

    private func at(_ milliseconds: Int) -> ContinuousClock.Instant { start + .milliseconds(milliseconds) }

    /// A reconciler whose table holds `a.md`, and which has just seen it unlinked at 10 ms.
    private func removedAtTen() -> Reconciler {
        disk.write(RawPath("/w/a.md"), "a")
        var reconciler = Reconciler(models: [model], options: .init(settle: .milliseconds(20), deleteSettle: .seconds(1)), probe: disk, pressure: pressure)
        for event in disk.walk(.initialWalk) + [.ready(folders: 1, files: 1)] { _ = reconciler.handle(event, now: at(0)) }
        _ = reconciler.flushDue(now: at(0))
        for event in disk.remove(RawPath("/w/a.md")) { _ = reconciler.handle(event, now: at(10)) }
        return reconciler
    }

    private func names(_ signals: [SignalPayload]) -> [String] { signals.map { "\($0.signal) \($0.instance)" } }

    @Test("an idle machine: the delete comes at the end of its window")
    func idle() {
        var reconciler = removedAtTen()
        #expect(reconciler.flushDue(now: at(30)).isEmpty)
        pressure.set(PressureReading(cpuStalled: 1_000, ioStalled: 0))   // 1 ms of 980: next to nothing
        #expect(reconciler.flushDue(now: at(1009)).isEmpty)
        #expect(names(reconciler.flushDue(now: at(1050))) == ["pre_delete a.md", "post_delete a.md"])
    }

    @Test("pressure read since the last reading stretches the windows: tasks waited half the time, the delete window is 5.5 times as long")
    func pressureSinceLastReading() {
        var reconciler = removedAtTen()
        #expect(reconciler.flushDue(now: at(30)).isEmpty)   // first reading: nothing waited so far
        pressure.set(PressureReading(cpuStalled: 0, ioStalled: 490_000))   // 490 ms of 980 waiting for the disk
        #expect(reconciler.flushDue(now: at(1010)).isEmpty, "the machine is starved: not a delete yet")
        #expect(reconciler.busy.stretch(.delete).factor == 5.5)
        #expect(reconciler.busy.stretch(.save).factor == 2, "the save window grows less: 1 + 2p")
        #expect(reconciler.nextDeadline == at(10 + 5_500))
        pressure.set(PressureReading(cpuStalled: 0, ioStalled: 490_000))   // idle since, but the window stands
        #expect(reconciler.flushDue(now: at(5_000)).isEmpty)
        #expect(names(reconciler.flushDue(now: at(7_000))) == ["pre_delete a.md", "post_delete a.md"])
    }

    @Test("the kernel's ten-second average counts when no recent reading is there to compare with")
    func kernelAverage() {
        pressure.set(PressureReading(cpuStalled: 0, ioStalled: 0, cpuAverage: 0.2))
        var reconciler = removedAtTen()
        #expect(reconciler.flushDue(now: at(1_010)).isEmpty)
        #expect(reconciler.busy.stretch(.delete).factor == 1 + 9 * 0.2)
        #expect(names(reconciler.flushDue(now: at(10 + 2_800))) == ["pre_delete a.md", "post_delete a.md"])
    }

    @Test("a late wake-up of the bridge's thread lengthens the windows by four times its lateness, for ten seconds")
    func lateWakeUp() {
        pressure.set(nil)   // a kernel without pressure information
        var reconciler = removedAtTen()
        reconciler.noteLateWakeUp(by: .milliseconds(250), now: at(20))
        #expect(reconciler.flushDue(now: at(1_010)).isEmpty, "woke 250 ms late: the delete waits 1 s more")
        #expect(reconciler.flushDue(now: at(2_009)).isEmpty)
        #expect(names(reconciler.flushDue(now: at(2_010))) == ["pre_delete a.md", "post_delete a.md"])
        reconciler.noteLateWakeUp(by: .milliseconds(1), now: at(2_020))
        #expect(reconciler.busy.stretch(.save).extra == .milliseconds(1_000), "the largest lateness of the last ten seconds stands")
        reconciler.noteLateWakeUp(by: .milliseconds(1), now: at(12_100))
        #expect(reconciler.busy.stretch(.save).extra == .milliseconds(4))
    }

    @Test("the pressure files as the kernel writes them")
    func parsing() {
        let text = "some avg10=12.50 avg60=0.64 avg300=0.21 total=1234618\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
        let line = KernelPressure.parseSomeLine(text)
        #expect(line?.avg10 == 12.5)
        #expect(line?.total == 1_234_618)
        #expect(KernelPressure.parseSomeLine("full avg10=0.00 total=0\n") == nil)
        #expect(KernelPressure.parseSomeLine("") == nil)
    }
}
