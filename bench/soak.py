#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Soak test: run `filesignals watch --json` for a set time against a generator of creates, saves, moves and
deletes across thousands of files, then check that the signal stream is exactly what the generator did, and
that the watcher's memory stayed flat.

    python3 bench/soak.py [--minutes 10] [--files 5000] [--rate 200] [--binary PATH] [--seed N]

Each operation touches paths that have been quiet for longer than the settle window, so that every one of
them has exactly one expected outcome:

    create X      pre_save X, post_save X created:true
    save X        pre_save X, post_save X created:false
    move X -> Y   pre_delete X, post_delete X (moved_to Y), pre_save Y, post_save Y created:true (moved_from X)
    delete X      pre_delete X, post_delete X

The check compares, for every path, the signals it got with the ones expected, in order. Memory is sampled
(VmRSS) every second; it is flat when the highest reading of the last quarter of the run is at most 10% (plus
4 MB) above the highest of the first quarter. Exit status 0 when both hold, 1 otherwise. Not part of
`swift test`: it runs for minutes. Touches only a temporary folder, and removes it.
"""
import argparse
import collections
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUIET = 0.3  # seconds a path must have been left alone before it is touched again (settle is 50 ms)


def build_release():
    subprocess.run(["swift", "build", "-c", "release", "--product", "filesignals"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    path = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout.strip()
    return os.path.join(path, "filesignals")


def resident_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Generator:
    """Random operations on a tree of `folders` folders, remembering what each should produce."""

    def __init__(self, top, files, seed):
        self.top = top
        self.random = random.Random(seed)
        self.folders = [f"d{index:02}" for index in range(20)]
        self.existing = []            # relative paths that exist now
        self.index_of = {}            # path -> position in self.existing
        self.touched = {}             # path -> monotonic time of the last operation on it
        self.expected = collections.defaultdict(list)
        self.next_name = 0
        self.counts = collections.Counter()
        for folder in self.folders:
            os.mkdir(os.path.join(top, folder))
        for _ in range(files):
            path = self.fresh_name()
            with open(os.path.join(top, path), "w") as file:
                file.write("initial\n")
            self.add(path)

    def fresh_name(self):
        self.next_name += 1
        return f"{self.random.choice(self.folders)}/f{self.next_name:07}.md"

    def add(self, path):
        self.index_of[path] = len(self.existing)
        self.existing.append(path)

    def remove(self, path):
        index = self.index_of.pop(path)
        last = self.existing.pop()
        if last != path:
            self.existing[index] = last
            self.index_of[last] = index

    def quiet_existing(self, now):
        for _ in range(20):
            path = self.random.choice(self.existing)
            if now - self.touched.get(path, 0) > QUIET:
                return path
        return None

    def step(self):
        now = time.monotonic()
        # As many creates as deletes: the tree keeps its size, so memory has no reason to grow.
        kind = self.random.choices(["create", "save", "move", "delete"], weights=[2, 4, 2, 2])[0]
        if kind != "create" and len(self.existing) < 100:
            kind = "create"
        if kind == "create":
            path = self.fresh_name()
            with open(os.path.join(self.top, path), "w") as file:
                file.write("created\n")
            self.add(path)
            self.expected[path] += [("pre_save", None), ("post_save", True)]
            self.touched[path] = now
        else:
            path = self.quiet_existing(now)
            if path is None:
                return
            if kind == "save":
                with open(os.path.join(self.top, path), "a") as file:
                    file.write(f"save {now}\n")
                self.expected[path] += [("pre_save", None), ("post_save", False)]
            elif kind == "move":
                target = self.fresh_name()
                os.rename(os.path.join(self.top, path), os.path.join(self.top, target))
                self.remove(path)
                self.add(target)
                self.expected[path] += [("pre_delete", None), ("post_delete", None)]
                self.expected[target] += [("pre_save", None), ("post_save", True)]
                self.touched[target] = now
            else:
                os.unlink(os.path.join(self.top, path))
                self.remove(path)
                self.expected[path] += [("pre_delete", None), ("post_delete", None)]
            self.touched[path] = now
        self.counts[kind] += 1

    @property
    def expected_lines(self):
        return sum(len(signals) for signals in self.expected.values())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--files", type=int, default=5000, help="files in the tree at the start")
    parser.add_argument("--rate", type=int, default=200, help="operations per second")
    parser.add_argument("--binary", help="a built filesignals (default: build the release binary)")
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()

    binary = options.binary or build_release()
    work = tempfile.mkdtemp(prefix="filesignals-soak-")
    try:
        top = os.path.join(work, "tree")
        os.mkdir(top)
        generator = Generator(top, options.files, options.seed)
        out_path = os.path.join(work, "signals.jsonl")
        err_path = os.path.join(work, "watch.err")
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            watcher = subprocess.Popen([binary, "watch", top, "--json", "--no-state"], stdout=out, stderr=err)
        deadline = time.monotonic() + 60
        while b"ready" not in open(err_path, "rb").read():
            if time.monotonic() > deadline or watcher.poll() is not None:
                sys.exit(f"the watcher did not get ready: {open(err_path).read()}")
            time.sleep(0.05)

        memory = []
        started = time.monotonic()
        end = started + options.minutes * 60
        next_sample = started
        interval = 1 / options.rate
        next_step = started
        while (now := time.monotonic()) < end:
            if now >= next_sample:
                memory.append(resident_kb(watcher.pid))
                next_sample += 1
                elapsed = now - started
                print(f"\r{elapsed:6.0f} s  {sum(generator.counts.values()):8} operations  "
                      f"{memory[-1] / 1024:6.1f} MB", end="", file=sys.stderr, flush=True)
            generator.step()
            next_step += interval
            pause = next_step - time.monotonic()
            if pause > 0:
                time.sleep(pause)
        print(file=sys.stderr)

        # Let the last operations settle, then stop the watcher cleanly.
        wanted = generator.expected_lines
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with open(out_path, "rb") as out:
                if out.read().count(b"\n") >= wanted:
                    break
            time.sleep(0.1)
        time.sleep(1)  # anything extra would show up now
        watcher.send_signal(signal.SIGTERM)
        status = watcher.wait(timeout=60)

        got = collections.defaultdict(list)
        with open(out_path, "rb") as out:
            lines = out.read().splitlines()
        for line in lines:
            record = json.loads(line)
            got[record["instance"]].append((record["signal"], record.get("created") if record["signal"] == "post_save" else None))
        wrong = [path for path in set(got) | set(generator.expected) if got.get(path, []) != generator.expected.get(path, [])]

        quarter = max(1, len(memory) // 4)
        early, late = max(memory[:quarter]), max(memory[-quarter:])
        flat = late <= early * 1.1 + 4096
        print(f"ran {options.minutes:g} min: {dict(generator.counts)} on {options.files} files to start with")
        print(f"signals: {len(lines)} printed, {wanted} expected; paths with a different stream: {len(wrong)}")
        for path in sorted(wrong)[:10]:
            print(f"  {path}: expected {generator.expected.get(path, [])}, got {got.get(path, [])}")
        print(f"memory (VmRSS): {early / 1024:.1f} MB at most in the first quarter, {late / 1024:.1f} MB in the last: "
              f"{'flat' if flat else 'GROWING'}")
        print(f"watcher exit status: {status}")
        sys.exit(0 if not wrong and flat and status == 0 else 1)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
