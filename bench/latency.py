#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Latency: time from close() returning to the line that reports the write, for `filesignals watch --json`
(at --settle 0 and at the default settle) next to `inotifywait -m -r`, on the same workload in the same run.

Usage: python3 bench/latency.py [--writes 200] [--gap-ms 20] [--binary PATH]
Builds the release binary first unless --binary is given. Needs Debian's inotify-tools for inotifywait.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class LineReader(threading.Thread):
    """Reads a pipe as raw bytes and stamps every line with the monotonic time at which it arrived."""

    def __init__(self, fd):
        super().__init__(daemon=True)
        self.fd = fd
        self.lines = []  # (monotonic_ns, bytes)
        self.cond = threading.Condition()

    def run(self):
        pending = b""
        while True:
            chunk = os.read(self.fd, 65536)
            now = time.monotonic_ns()
            if not chunk:
                break
            pending += chunk
            *complete, pending = pending.split(b"\n")
            with self.cond:
                self.lines.extend((now, line) for line in complete)
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_for(self, predicate, timeout):
        """Waits until some line satisfies predicate; returns (time, line) or None at the deadline."""
        deadline = time.monotonic() + timeout
        with self.cond:
            start = 0
            while True:
                for index in range(start, len(self.lines)):
                    if predicate(self.lines[index][1]):
                        return self.lines[index]
                start = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0 or not self.is_alive():
                    return None
                self.cond.wait(left)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def run_tool(name, argv, ready_marker, matcher, folder, writes, gap):
    """Starts a watcher, waits until it says it is ready, makes `writes` writes and returns latencies in ms."""
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = LineReader(process.stdout.fileno())
    err = LineReader(process.stderr.fileno())
    out.start()
    err.start()
    if err.wait_for(lambda line: ready_marker in line, 30) is None:
        process.kill()
        sys.exit(f"{name} never became ready")
    latencies = []
    missed = 0
    for index in range(writes):
        file_name = f"{name}-{index}.md"
        path = os.path.join(folder, file_name)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(descriptor, b"hello\n")
        os.close(descriptor)
        closed = time.monotonic_ns()
        found = out.wait_for(lambda line: matcher(line, file_name.encode()), 5)
        if found is None:
            missed += 1
        else:
            latencies.append((found[0] - closed) / 1e6)
        time.sleep(gap)  # the workload's pacing (20 ms between writes), not a wait for a result
    process.terminate()
    process.wait(10)
    return latencies, missed


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--gap-ms", type=float, default=20)
    parser.add_argument("--binary")
    args = parser.parse_args()

    binary = args.binary
    if binary is None:
        subprocess.run(["swift", "build", "-c", "release", "--product", "filesignals"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        binary = os.path.join(ROOT, ".build", "release", "filesignals")
    if shutil.which("inotifywait") is None:
        sys.exit("inotifywait is missing: sudo apt-get install inotify-tools")

    def is_post_save(line, name):
        return b'"signal":"post_save"' in line and b'"instance":"' + name + b'"' in line

    def is_close_write(line, name):
        return line.startswith(b"CLOSE_WRITE") and line.endswith(b"/" + name)

    tools = [
        ("inotifywait", lambda d: ["inotifywait", "-m", "-r", "--format", "%e %w%f", d],
         b"Watches established", is_close_write),
        ("filesignals-settle-0", lambda d: [binary, "watch", d, "--json", "--settle", "0"], b"; ready", is_post_save),
        ("filesignals-default", lambda d: [binary, "watch", d, "--json"], b"; ready", is_post_save),
    ]
    results = {}
    with tempfile.TemporaryDirectory(prefix="filesignals-bench-") as folder:
        for name, argv, marker, matcher in tools:
            results[name] = run_tool(name, argv(folder), marker, matcher, folder, args.writes, args.gap_ms / 1000)

    base = results["inotifywait"][0]
    print(f"close() -> line latency, {args.writes} writes {args.gap_ms:g} ms apart (ms)")
    print(f"{'tool':<22}{'p50':>9}{'p95':>9}{'p99':>9}{'missed':>8}{'p50 vs inotifywait':>22}")
    for name, (latencies, missed) in results.items():
        if not latencies:
            print(f"{name:<22}{'-':>9}{'-':>9}{'-':>9}{missed:>8}")
            continue
        p50, p95, p99 = (percentile(latencies, f) for f in (0.50, 0.95, 0.99))
        extra = p50 - percentile(base, 0.50) if base else float("nan")
        print(f"{name:<22}{p50:>9.2f}{p95:>9.2f}{p99:>9.2f}{missed:>8}{extra:>+20.2f}ms")


if __name__ == "__main__":
    main()
