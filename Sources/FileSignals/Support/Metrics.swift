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

    /// Whether a program bootstrapped a backend. Without one (the CLI without `--metrics`), nothing is looked
    /// up or recorded: a burst's signals and decisions would otherwise pay for a key and a lock each.
    package static var isReporting: Bool { !(MetricsSystem.factory is NOOPMetricsHandler) }

    /// The handle kept in `cache` for `label` and `dimensions`, made by `make` the first time; nil when
    /// nothing is reporting.
    private static func handle<Handle>(
        _ cache: borrowing Mutex<[String: Handle]>, _ label: String, _ dimensions: [(String, String)], make: () -> Handle
    ) -> Handle? {
        guard isReporting else { return nil }
        return cache.withLock { handles in
            let key = key(label, dimensions)
            if let known = handles[key] { return known }
            let made = make()
            handles[key] = made
            return made
        }
    }

    /// Adds `amount` to the counter `label` with `dimensions`.
    package static func count(_ label: String, _ dimensions: [(String, String)] = [], by amount: Int = 1) {
        handle(counters, label, dimensions) { Counter(label: label, dimensions: dimensions) }?.increment(by: amount)
    }

    /// Records `duration` in the histogram `label` with `dimensions`.
    package static func time(_ label: String, _ dimensions: [(String, String)] = [], _ duration: Duration) {
        handle(timers, label, dimensions) { CoreMetrics.Timer(label: label, dimensions: dimensions) }?.recordNanoseconds(duration.nanoseconds)
    }

    /// Sets the gauge `label` with `dimensions` to `value`.
    package static func set(_ label: String, _ dimensions: [(String, String)] = [], to value: Double) {
        handle(gauges, label, dimensions) { Gauge(label: label, dimensions: dimensions) }?.record(value)
    }
}
