// SPDX-License-Identifier: GPL-2.0-or-later
import CoreMetrics
import Synchronization

/// The metrics filesignals reports, through swift-metrics: to the backend the program bootstrapped (the CLI
/// serves them in the Prometheus text format with `--metrics`), and to nothing otherwise. Each handle is made
/// once per name and labels, then kept: a burst of 50,000 signals looks up a dictionary, not a registry.
package enum FileSignalsMetrics {
    private static let counters = Mutex<[String: Counter]>([:])
    private static let timers = Mutex<[String: CoreMetrics.Timer]>([:])
    private static let gauges = Mutex<[String: Gauge]>([:])

    private static func key(_ label: String, _ dimensions: [(String, String)]) -> String {
        dimensions.reduce(label) { $0 + "\u{0}" + $1.0 + "=" + $1.1 }
    }

    /// Adds `amount` to the counter `label` with `dimensions`.
    package static func count(_ label: String, _ dimensions: [(String, String)] = [], by amount: Int = 1) {
        let counter = counters.withLock { counters in
            let key = key(label, dimensions)
            if let known = counters[key] { return known }
            let made = Counter(label: label, dimensions: dimensions)
            counters[key] = made
            return made
        }
        counter.increment(by: amount)
    }

    /// Records `duration` in the histogram `label` with `dimensions`.
    package static func time(_ label: String, _ dimensions: [(String, String)] = [], _ duration: Duration) {
        let timer = timers.withLock { timers in
            let key = key(label, dimensions)
            if let known = timers[key] { return known }
            let made = CoreMetrics.Timer(label: label, dimensions: dimensions)
            timers[key] = made
            return made
        }
        timer.recordNanoseconds(duration.nanoseconds)
    }

    /// Sets the gauge `label` with `dimensions` to `value`.
    package static func set(_ label: String, _ dimensions: [(String, String)] = [], to value: Double) {
        let gauge = gauges.withLock { gauges in
            let key = key(label, dimensions)
            if let known = gauges[key] { return known }
            let made = Gauge(label: label, dimensions: dimensions)
            gauges[key] = made
            return made
        }
        gauge.record(value)
    }
}
