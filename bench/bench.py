#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""FileSignals benchmark: `filesignals watch --json` next to `inotifywait -m -r` on the same workloads, in the
same run, printing each figure for both and their ratio.

  latency   200 single-file writes 20 ms apart: close() returning -> the matching line (p50/p95/p99), in the
            default configuration (state on, settle 20 ms), at the old default (--settle 50ms) and at --settle 0
  deletes   50 unlinks 100 ms apart: unlink() returning -> the post_delete line (p50/p99), at the default
            delete window (1 s) and at --delete-settle 0
  burst     1,000 / 10,000 / 50,000 files created as fast as possible in one folder, watched by inotifywait
            and filesignals at once: how many were reported, time from the last write to the last line, each
            one's CPU seconds from the first write on; filesignals in the default configuration (state on),
            then --no-state and --settle 0 as extra rows
  startup   a tree of 10,000 folders and 100,000 files: time from process start until a change in it is
            reported, and resident memory (VmHWM) then: filesignals in the default configuration with an empty
            state, started again on that state (nothing changed; 1,000 files changed while stopped), then
            --no-state and --settle 0; the state database's size; CPU used while idle for 10 s
  dispatch  signals per second through a shell receiver running `true`, with jobs = 1 and 4
  http      deliveries per second of a url receiver to a local HTTP server (Python, answering 204 at once),
            structured (one event a request, jobs = 4) and batch (100 events a request), 2,000 post_save each

Usage: python3 bench/bench.py [--only latency,deletes,burst,startup,dispatch,http] [--binary PATH] [--compare PATH]
Builds the release binary unless --binary is given. Needs Debian's inotify-tools. Everything happens in a
temporary folder that is removed at the end; every wait has a deadline.
"""
import argparse
import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TICKS = os.sysconf("SC_CLK_TCK")


class LineReader(threading.Thread):
    """Reads a pipe as raw bytes and stamps every line with the monotonic time at which it arrived."""

    def __init__(self, fd, keep=True, counted=b""):
        super().__init__(daemon=True)
        self.fd = fd
        self.keep = keep
        self.counted = counted  # lines starting with this are counted
        self.lines = []  # (monotonic_ns, bytes)
        self.count = 0
        self.last = 0
        self.cond = threading.Condition()

    def run(self):
        pending = b""
        while True:
            chunk = os.read(self.fd, 1 << 20)
            now = time.monotonic_ns()
            if not chunk:
                break
            pending += chunk
            *complete, pending = pending.split(b"\n")
            with self.cond:
                if self.keep:
                    self.lines.extend((now, line) for line in complete)
                matching = sum(1 for line in complete if line.startswith(self.counted)) if self.counted else len(complete)
                self.count += matching
                if matching:
                    self.last = now
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_for(self, predicate, timeout):
        """Waits until some line satisfies predicate; returns (time, line) or None at the deadline."""
        deadline = time.monotonic() + timeout
        start = 0
        with self.cond:
            while True:
                for index in range(start, len(self.lines)):
                    if predicate(self.lines[index][1]):
                        return self.lines[index]
                start = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0 or not self.is_alive():
                    return None
                self.cond.wait(left)


class Watcher:
    """One watcher process with its stdout and stderr read on threads."""

    def __init__(self, argv, ready_marker, keep=True, cwd=None):
        self.started = time.monotonic_ns()
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd)
        self.out = LineReader(self.process.stdout.fileno(), keep)
        self.err = LineReader(self.process.stderr.fileno())
        self.out.start()
        self.err.start()
        self.ready_marker = ready_marker

    def wait_ready(self, timeout=120):
        if self.err.wait_for(lambda line: self.ready_marker in line, timeout) is None:
            self.stop()
            sys.exit(f"never became ready: {self.process.args}")

    def cpu_seconds(self):
        """CPU time of the process so far, in 10 ms ticks (/proc/PID/stat), threads that ended included."""
        fields = open(f"/proc/{self.process.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS

    def run_seconds(self):
        """CPU time of the process's live threads, to the nanosecond (/proc/PID/task/*/schedstat): for
        differences too small for ticks. Neither watcher ends a thread during a burst."""
        total = 0
        for task in os.listdir(f"/proc/{self.process.pid}/task"):
            try:
                total += int(open(f"/proc/{self.process.pid}/task/{task}/schedstat").read().split()[0]) / 1e9
            except (OSError, ValueError):
                pass  # the thread ended meanwhile
        return total

    def memory_high_water_mb(self):
        for line in open(f"/proc/{self.process.pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def ratio(ours, theirs):
    return f"{ours / theirs:.2f}x" if theirs else "-"


def table(title, header, rows):
    print(f"\n{title}")
    widths = [max(len(str(row[i])) for row in [header] + rows) for i in range(len(header))]
    for row in [header] + rows:
        print("  " + "  ".join(str(cell).rjust(width) if i else str(cell).ljust(width) for i, (cell, width) in enumerate(zip(row, widths))))


def inotifywait(folder):
    return Watcher(["inotifywait", "-m", "-r", "--format", "%e %w%f", folder], b"Watches established")


_state_homes = []


def state_homes():
    """One temporary folder for the state databases of the run, removed when it ends."""
    if not _state_homes:
        _state_homes.append(tempfile.mkdtemp(prefix="fs-bench-state-"))
        atexit.register(shutil.rmtree, _state_homes[0], True)
    return _state_homes[0]


def filesignals(binary, folder, *extra, keep=True, state_home=None):
    """`filesignals watch FOLDER --json EXTRA...`: in the default configuration unless EXTRA says otherwise, its
    state database in `state_home` (a new temporary folder when not given; a second start passes the first's)."""
    if "--no-state" not in extra:
        os.environ["XDG_STATE_HOME"] = state_home or tempfile.mkdtemp(dir=state_homes())  # inherited by the watcher
    return Watcher([binary, "watch", folder, "--json", *extra], b"; ready", keep)


def is_post_save(name):
    needle = b'"instance":"' + name + b'"'
    return lambda line: b'"signal":"post_save"' in line and needle in line


def is_close_write(name):
    return lambda line: line.startswith(b"CLOSE_WRITE") and line.endswith(b"/" + name)


def bench_latency(binary, writes=200, gap=0.020, earlier=None):
    rows = []
    results = {}
    compared = [("filesignals --compare (its default)", lambda d: filesignals(earlier, d), is_post_save)] if earlier else []
    for name, make, matcher in compared + [
        ("inotifywait", lambda d: inotifywait(d), is_close_write),
        ("filesignals (default: state on, settle 20ms)", lambda d: filesignals(binary, d), is_post_save),
        ("filesignals --settle 50ms", lambda d: filesignals(binary, d, "--settle", "50ms"), is_post_save),
        ("filesignals --settle 0", lambda d: filesignals(binary, d, "--settle", "0"), is_post_save),
    ]:
        with tempfile.TemporaryDirectory(prefix="fs-bench-") as folder:
            watcher = make(folder)
            watcher.wait_ready()
            latencies, missed = [], 0
            for index in range(writes):
                file_name = f"w{index}.md"
                descriptor = os.open(os.path.join(folder, file_name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                os.write(descriptor, b"hello\n")
                os.close(descriptor)
                closed = time.monotonic_ns()
                found = watcher.out.wait_for(matcher(file_name.encode()), 5)
                if found is None:
                    missed += 1
                else:
                    latencies.append((found[0] - closed) / 1e6)
                time.sleep(gap)  # the workload's pacing, not a wait for a result
            watcher.stop()
            results[name] = latencies
            p = [percentile(latencies, f) for f in (0.50, 0.95, 0.99)] if latencies else [float("nan")] * 3
            rows.append([name, f"{p[0]:.2f}", f"{p[1]:.2f}", f"{p[2]:.2f}", missed])
    base = percentile(results["inotifywait"], 0.5)
    for row, name in zip(rows, results):
        row.append(f"{percentile(results[name], 0.5) - base:+.2f}")
    table(f"latency: close() -> line, {writes} writes {gap * 1000:g} ms apart (ms)",
          ["tool", "p50", "p95", "p99", "missed", "p50 - inotifywait"], rows)


def bench_deletes(binary, deletes=50, gap=0.1):
    """unlink() returning -> the post_delete line, at the default delete window (1 s) and at --delete-settle 0,
    next to inotifywait's DELETE line."""
    rows = []
    for name, make, matcher, window in [
        ("inotifywait", lambda d: inotifywait(d), lambda n: lambda line: line.startswith(b"DELETE") and line.endswith(b"/" + n), 0),
        ("filesignals (default: delete_settle 1s)", lambda d: filesignals(binary, d),
         lambda n: lambda line: b'"signal":"post_delete"' in line and b'"instance":"' + n + b'"' in line, 1000),
        ("filesignals --delete-settle 0", lambda d: filesignals(binary, d, "--delete-settle", "0"),
         lambda n: lambda line: b'"signal":"post_delete"' in line and b'"instance":"' + n + b'"' in line, 0),
    ]:
        with tempfile.TemporaryDirectory(prefix="fs-bench-") as folder:
            for index in range(deletes):
                with open(os.path.join(folder, f"d{index}.md"), "w") as handle:
                    handle.write("bye\n")
            watcher = make(folder)
            watcher.wait_ready()
            unlinked = {}
            for index in range(deletes):
                os.unlink(os.path.join(folder, f"d{index}.md"))
                unlinked[index] = time.monotonic_ns()
                time.sleep(gap)  # the workload's pacing, not a wait for a result
            latencies, missed = [], 0
            for index in range(deletes):
                found = watcher.out.wait_for(matcher(f"d{index}.md".encode()), 10)
                if found is None:
                    missed += 1
                else:
                    latencies.append((found[0] - unlinked[index]) / 1e6)
            watcher.stop()
            p = [percentile(latencies, f) for f in (0.50, 0.99)] if latencies else [float("nan")] * 2
            rows.append([name, f"{p[0]:.2f}", f"{p[1]:.2f}", f"{p[1] - window:+.2f}", missed])
    table(f"deletes: unlink() -> line, {deletes} files {gap * 1000:g} ms apart (ms)",
          ["tool", "p50", "p99", "p99 - window", "missed"], rows)


BURST_CONFIGURATIONS = [("default (state on)", []), ("--no-state", ["--no-state"]), ("--settle 0", ["--settle", "0"])]


def bench_burst(binary, sizes=(1000, 10000, 50000)):
    """inotifywait and filesignals watch the same folder at the same time, so that they see the very same burst:
    on a machine whose speed varies from run to run, that is the only fair comparison of their CPU seconds. The
    default configuration first; --no-state and --settle 0 are extra rows, each a burst of its own."""
    rows = []
    for size in sizes:
        for configuration, extra in BURST_CONFIGURATIONS:
            with tempfile.TemporaryDirectory(prefix="fs-bench-") as folder:
                watchers = {"inotifywait": inotifywait(folder), "filesignals": filesignals(binary, folder, *extra, keep=False)}
                # A file is reported by inotifywait's CLOSE_WRITE line, and by filesignals' post_save line.
                watchers["inotifywait"].out.keep = False
                watchers["inotifywait"].out.counted = b"CLOSE_WRITE"
                watchers["filesignals"].out.counted = b'{"type":"signal","seq":'
                for watcher in watchers.values():
                    watcher.wait_ready()
                # The burst's CPU, not the start-up's: counted from here.
                before = {name: watcher.run_seconds() for name, watcher in watchers.items()}
                for index in range(size):
                    with open(os.path.join(folder, f"b{index}.md"), "w") as handle:
                        handle.write("x")
                written = time.monotonic_ns()
                # filesignals prints pre_save and post_save: two counted lines per file.
                expected = {"inotifywait": size, "filesignals": 2 * size}
                deadline = time.monotonic() + 60
                quiet_since = time.monotonic()
                last_counts = None
                while time.monotonic() < deadline:
                    counts = {name: watcher.out.count for name, watcher in watchers.items()}
                    if all(counts[name] >= expected[name] for name in watchers):
                        break
                    if counts != last_counts:
                        last_counts, quiet_since = counts, time.monotonic()
                    elif time.monotonic() - quiet_since > 3:
                        break  # nothing more is coming
                    time.sleep(0.01)  # polling counters, with a deadline
                overflows = sum(1 for _, line in watchers["filesignals"].err.lines if b"queue overflowed" in line)
                figures = {}
                for name, watcher in watchers.items():
                    reported = watcher.out.count // (expected[name] // size)
                    delay = max(0, (watcher.out.last - written) / 1e6)
                    figures[name] = (reported, delay, watcher.run_seconds() - before[name])
                    watcher.stop()
            (ir, idelay, icpu), (fr, fdelay, fcpu) = figures["inotifywait"], figures["filesignals"]
            rows.append([f"{size:,}", configuration, f"{ir:,}", f"{fr:,}", f"{idelay:.0f}", f"{fdelay:.0f}", f"{icpu:.2f}", f"{fcpu:.2f}", ratio(fcpu, icpu), overflows])
    table("burst: files created as fast as possible in one folder, inotifywait and filesignals watching it at once",
          ["files", "filesignals", "reported (iw)", "reported (fs)", "last line after last write ms (iw)", "(fs)", "CPU s (iw)", "CPU s (fs)", "CPU fs/iw", "overflows (fs)"], rows)
    print("  (a file counts as reported by inotifywait's CLOSE_WRITE line; inotifywait has no rescan after an overflow;")
    print("   overflows: the kernel queue filled before filesignals read it, and it rescanned the folder)")


def make_tree(folder, folders=10000, files=100000):
    per_folder = files // folders
    for index in range(folders):
        path = os.path.join(folder, f"d{index // 100}", f"e{index % 100}")
        os.makedirs(path, exist_ok=True)
        for item in range(per_folder):
            with open(os.path.join(path, f"f{item}.md"), "w") as handle:
                handle.write("t")


def time_until_seen(watcher, started, probe_folder, name, prefix):
    """Writes a new probe file every 10 ms until the watcher reports one: the seconds from `started` until
    changes are seen. A new name each time, so that filesignals' settle window is not kept open by rewrites."""
    if name == "inotifywait":
        matcher = lambda line: line.startswith(b"CLOSE_WRITE") and b"/" + prefix in line
    else:
        matcher = lambda line: b'"signal":"post_save"' in line and b'"instance":"d99/e99/' + prefix in line
    deadline = time.monotonic() + 120
    attempt = 0
    while time.monotonic() < deadline:
        with open(os.path.join(probe_folder, f"{prefix.decode()}{attempt}.md"), "w") as handle:
            handle.write("p")
        attempt += 1
        seen = watcher.out.wait_for(matcher, 0.01)
        if seen is not None:
            return seen[0] / 1e9 - started
    return float("nan")


def bench_startup(binary):
    """Start-up on a large tree: inotifywait; filesignals in the default configuration with an empty state, then
    started again on the state it left (nothing changed, then 1,000 files changed while it was stopped); and the
    extra rows --no-state and --settle 0."""
    rows = []
    idle_rows = []
    with tempfile.TemporaryDirectory(prefix="fs-bench-tree-") as folder:
        make_tree(folder)
        os.system("sync")
        probe_folder = os.path.join(folder, "d99", "e99")
        state_home = tempfile.mkdtemp(dir=state_homes())
        runs = [
            ("inotifywait", None, "p0-"),
            ("filesignals (default, empty state)", [], "p1-"),
            ("filesignals (default, second start, nothing changed)", [], "p2-"),
            ("filesignals (default, second start, 1,000 files changed)", [], "p3-"),
            ("filesignals --no-state", ["--no-state"], "p4-"),
            ("filesignals --settle 0 --no-state", ["--settle", "0", "--no-state"], "p5-"),
        ]
        for name, extra, prefix in runs:
            if "1,000 files changed" in name:
                for index in range(1000):
                    with open(os.path.join(folder, f"d{index % 100}", f"e{index // 100}", "f0.md"), "w") as handle:
                        handle.write(f"changed {index}")
            started = time.monotonic()
            if extra is None:
                watcher = inotifywait(folder)
            else:
                watcher = filesignals(binary, folder, *extra, keep=True, state_home=state_home if "--no-state" not in extra else None)
            elapsed = time_until_seen(watcher, started, probe_folder, name, prefix.encode())
            memory = watcher.memory_high_water_mb()
            if name in ("inotifywait", "filesignals (default, empty state)"):
                if extra is not None:
                    # Idle means after the background hashing of the tree has finished.
                    watcher.err.wait_for(lambda line: b"hashed in the background" in line, 120)
                before = watcher.cpu_seconds()
                time.sleep(10)  # the idle period being measured
                idle_rows.append([name, f"{watcher.cpu_seconds() - before:.2f}"])
            watcher.stop()
            rows.append([name, f"{elapsed:.2f}", f"{memory:.1f}"])
            if name == "filesignals (default, empty state)":
                database = [os.path.join(root, entry) for root, _, entries in os.walk(state_home) for entry in entries]
                size = sum(os.path.getsize(path) for path in database)
    rows[0].append("")
    for row in rows[1:]:
        row.append(ratio(float(row[1]), float(rows[0][1])))
    table("startup: 10,000 folders and 100,000 files", ["tool", "s until a change is seen", "VmHWM MB", "time fs/iw"], rows)
    print("  (filesignals reports a change once it has been quiet for its settle window: 10 to 20 ms later by design)")
    print(f"  state database for 100,000 instances after the first run: {size / 1e6:.1f} MB on disk (with its -wal file)")
    table("idle: CPU seconds used in 10 s on that tree", ["tool", "CPU s"], idle_rows)


def bench_dispatch(binary, signals=600):
    rows = []
    for jobs in (1, 4):
        with tempfile.TemporaryDirectory(prefix="fs-bench-") as folder:
            os.mkdir(os.path.join(folder, "notes"))
            config = os.path.join(folder, "filesignals.ini")
            with open(config, "w") as handle:
                handle.write(f"[filesignals]\njobs = {jobs}\nstate = none\n[model Note]\npath = notes\n"
                             f"[receiver noop]\nsignal = post_save\ncommand = true\non_busy = parallel\n")
            os.chmod(config, 0o644)
            watcher = Watcher([binary, "watch", "--json", "--results"], b"; ready", cwd=folder)
            watcher.wait_ready()
            for index in range(signals):
                with open(os.path.join(folder, "notes", f"n{index}.md"), "w") as handle:
                    handle.write("x")
            first = None
            results = 0
            deadline = time.monotonic() + 120
            while results < signals and time.monotonic() < deadline:
                with watcher.out.cond:
                    lines = list(watcher.out.lines)
                results = sum(1 for _, line in lines if line.startswith(b'{"type":"result"'))
                saves = [t for t, line in lines if b'"signal":"post_save"' in line]
                first = saves[0] if saves else None
                time.sleep(0.02)  # polling the collected lines, with a deadline
            last = max(t for t, line in lines if line.startswith(b'{"type":"result"'))
            watcher.stop()
            rate = results / ((last - first) / 1e9) if first and last > first else float("nan")
            rows.append([jobs, results, f"{rate:.0f}"])
    table(f"dispatch: {signals} post_save through a shell receiver running `true` (inotifywait has no receivers)",
          ["jobs", "runs", "runs per second"], rows)


# A local endpoint for the http bench: answers 204 at once and prints, per request, how many events it carried.
HTTP_SINK = r"""
import sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
lock = threading.Lock()
class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args): pass
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(204); self.send_header("Content-Length", "0"); self.end_headers()
        events = body.count(b'"specversion"')
        with lock:
            sys.stdout.write(str(events) + "\n")
            sys.stdout.flush()
server = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


def bench_http(binary, signals=2000):
    rows = []
    for name, settings in (("structured", "format = structured"), ("batch", "format = batch\nbatch = 100")):
        with tempfile.TemporaryDirectory(prefix="fs-bench-") as folder:
            sink = Watcher([sys.executable, "-c", HTTP_SINK], b"")
            port = None
            deadline = time.monotonic() + 30
            while port is None and time.monotonic() < deadline:
                with sink.out.cond:
                    port = int(sink.out.lines[0][1]) if sink.out.lines else None
                time.sleep(0.01)  # polling for the port line, with a deadline
            os.mkdir(os.path.join(folder, "notes"))
            config = os.path.join(folder, "filesignals.ini")
            with open(config, "w") as handle:
                handle.write(f"[model Note]\npath = notes\n[receiver hook]\nsignal = post_save\nurl = http://127.0.0.1:{port}/\n{settings}\n")
            os.chmod(config, 0o644)
            watcher = Watcher([binary, "watch", "--json"], b"; ready", cwd=folder)
            watcher.wait_ready()
            for index in range(signals):
                with open(os.path.join(folder, "notes", f"n{index}.md"), "w") as handle:
                    handle.write("x")
            delivered, requests, last = 0, 0, None
            deadline = time.monotonic() + 120
            while delivered < signals and time.monotonic() < deadline:
                with sink.out.cond:
                    counts = list(sink.out.lines[1:])
                delivered = sum(int(line) for _, line in counts if line.strip())
                requests = sum(1 for _, line in counts if line.strip())
                last = counts[-1][0] if counts else None
                time.sleep(0.02)  # polling the collected lines, with a deadline
            with watcher.out.cond:
                saves = [t for t, line in watcher.out.lines if b'"signal":"post_save"' in line]
            first = saves[0] if saves else None
            watcher.stop()
            sink.stop()
            rate = delivered / ((last - first) / 1e9) if first and last and last > first else float("nan")
            rows.append([name, delivered, requests, f"{rate:.0f}"])
    table(f"http: {signals} post_save to a url receiver on a local server (inotifywait has no receivers)",
          ["format", "events delivered", "requests", "events per second"], rows)


def release_binary(given):
    """The binary to measure: `given`, or the release build, built now."""
    if given is None:
        subprocess.run(["swift", "build", "-c", "release", "--product", "filesignals"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        given = os.path.join(ROOT, ".build", "release", "filesignals")
    return os.path.abspath(given)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="latency,deletes,burst,startup,dispatch,http")
    parser.add_argument("--binary")
    parser.add_argument("--compare", help="another filesignals binary (a build of an earlier commit, say) for a row of the latency table")
    args = parser.parse_args()
    binary = release_binary(args.binary)
    if shutil.which("inotifywait") is None:
        sys.exit("inotifywait is missing: sudo apt-get install inotify-tools")
    print(f"filesignals: {binary}; inotifywait: {subprocess.run(['inotifywait', '--help'], capture_output=True, text=True).stdout.splitlines()[0]}")
    print(f"machine: {os.cpu_count()} cores; max_queued_events {open('/proc/sys/fs/inotify/max_queued_events').read().strip()}")
    benches = {"latency": lambda b: bench_latency(b, earlier=args.compare), "deletes": bench_deletes, "burst": bench_burst, "startup": bench_startup, "dispatch": bench_dispatch, "http": bench_http}
    for name in args.only.split(","):
        benches[name](binary)


if __name__ == "__main__":
    main()
