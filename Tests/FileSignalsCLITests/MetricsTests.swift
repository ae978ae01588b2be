// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc
import Testing
import TestSupport

/// `metrics =` / `--metrics`: scraped over HTTP by a real client and read by an independent parser of the
/// Prometheus text format (the Python `prometheus_client`'s), while a burst, a failing receiver and an
/// overflowing kernel queue move the counters. The built binary.
@Suite("Metrics", .serialized, .ownThreads(timeLimit: .seconds(180)))
struct MetricsTests {
    /// Scrapes `url` with Python's urllib and parses the text with prometheus_client: every sample, as
    /// `name{label="value",...}` (labels sorted) to its value. A text the parser refuses fails the test.
    private func scrape(_ url: String) throws -> [String: Double] {
        let script = """
            import json, sys, urllib.request
            from prometheus_client.parser import text_string_to_metric_families
            text = urllib.request.urlopen(sys.argv[1], timeout=10).read().decode()
            samples = {}
            for family in text_string_to_metric_families(text):
                for sample in family.samples:
                    labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
                    samples[f"{sample.name}{{{labels}}}"] = sample.value
            print(json.dumps(samples))
            """
        let output = try RunningCommand(["python3", "-c", script, url], executable: URL(fileURLWithPath: "/usr/bin/env")).waitForExit()
        try #require(output.exitStatus == 0, "the scrape or its parsing failed (pip install prometheus_client): \(output.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data((output.stdout.last ?? "{}").utf8)) as? [String: Double]
        return try #require(object)
    }

    @Test("signals by signal, sender and source; receiver runs by outcome with durations; deliveries waiting; overflows and rescans")
    func countersMove() throws {
        let folder = try TemporaryFolder()
        try folder.shell("""
            mkdir d bulk
            printf '[filesignals]\\nmetrics = 127.0.0.1:0\\n[model Doc]\\npath = d\\n[model Bulk]\\npath = bulk\\n[receiver fails]\\nsignal = post_save\\nsender = Doc\\ncommand = exit 3\\n' > filesignals.ini
            chmod 644 filesignals.ini
            """)
        let command = try RunningCommand(["watch"], in: folder.url)
        try #require(command.waitUntilReady(), "\(command.snapshot.stderr)")
        let line = try #require(command.snapshot.stderr.first { $0.contains("metrics at http://") }, "\(command.snapshot.stderr)")
        let url = String(line[line.range(of: "http://")!.lowerBound...])
        var samples = try scrape(url)
        #expect(samples["filesignals_watched_folders{}"] == 2, "\(samples)")

        try folder.shell("for i in $(seq 1 20); do echo $i > d/f$i.md; done")
        #expect(poll(upTo: 60) { ((try? scrape(url))?["filesignals_receiver_runs_total{outcome=\"failed\",receiver=\"fails\"}"] ?? 0) >= 20 })
        samples = try scrape(url)
        #expect(samples["filesignals_signals_total{sender=\"Doc\",signal=\"post_save\",source=\"live\"}"] == 20, "\(samples.keys.sorted())")
        #expect(samples["filesignals_signals_total{sender=\"Doc\",signal=\"pre_save\",source=\"live\"}"] == 20)
        #expect(samples["filesignals_receiver_run_duration_seconds_count{receiver=\"fails\"}"] == 20)
        #expect((samples["filesignals_decision_lag_seconds_count{}"] ?? 0) >= 20)
        #expect(samples["filesignals_deliveries_waiting{receiver=\"fails\"}"] == 0)
        #expect(samples["filesignals_journal_unfinished{}"] != nil)

        // Folders made and removed while watching count at once: the watches held now.
        try folder.shell("mkdir -p d/a/b d/c")
        #expect(poll(upTo: 60) { (try? scrape(url))?["filesignals_watched_folders{}"] == 5 }, "\((try? scrape(url))?["filesignals_watched_folders{}"] ?? -1)")
        try folder.shell("rm -r d/a")
        #expect(poll(upTo: 60) { (try? scrape(url))?["filesignals_watched_folders{}"] == 3 }, "\((try? scrape(url))?["filesignals_watched_folders{}"] ?? -1)")

        // The watcher stopped while 20,000 files are made: more events than the kernel queues (16,384 by
        // default), so it overflows, and the rescan finds them.
        command.send(SIGSTOP)
        try folder.shell("for i in $(seq 1 20000); do : > bulk/f$i; done")
        command.send(SIGCONT)
        #expect(poll(upTo: 120) { ((try? scrape(url))?["filesignals_rescans_total{}"] ?? 0) >= 1 })
        samples = try scrape(url)
        #expect((samples["filesignals_queue_overflows_total{}"] ?? 0) >= 1, "\(samples)")
        _ = command.stopCleanly()
    }

    @Test("an address that cannot be listened on is an error (exit 69), and a bad one a usage error")
    func badAddresses() throws {
        let folder = try TemporaryFolder()
        let first = try RunningCommand(["watch", folder.path, "--no-state", "--metrics", "127.0.0.1:0"])
        try #require(first.waitUntilReady(), "\(first.snapshot.stderr)")
        let line = try #require(first.snapshot.stderr.first { $0.contains("metrics at http://") })
        let taken = String(line.split(separator: ":").last!.prefix { $0.isNumber })
        let second = try RunningCommand(["watch", folder.path, "--no-state", "--metrics", "127.0.0.1:" + taken]).waitForExit()
        #expect(second.exitStatus == 69 && second.stderr.contains { $0.contains("cannot serve metrics on 127.0.0.1:\(taken)") }, "\(second.stderr)")
        _ = first.stopCleanly()
        let bad = try RunningCommand(["watch", folder.path, "--metrics", "localhost"]).waitForExit()
        #expect(bad.exitStatus == 64 && bad.stderr.contains { $0.contains("is not HOST:PORT") }, "\(bad.stderr)")
    }
}
