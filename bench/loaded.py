#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Truth on a busy machine: every save style of the save-style tests, and a `git checkout` of 500 changed files,
watched by `filesignals watch --json` in its default configuration (state database on, default windows), first on
the idle machine, then while stress-ng loads every core and the disk.

  styles    each style of Tests/FileSignalsCLITests/SaveStyles/save-styles.json, --saves times (default 30), each
            save in a folder of its own under one watcher: a save is right when its file got exactly `pre_save`
            then `post_save` with `created: false` (and the `changes` the style expects), and nothing else
  checkout  a repository whose two branches differ in --files files (default 500), checked out --rounds times
            each way: how many `post_save created:false`, `post_save created:true` and `post_delete` came, against
            --files saves per checkout

Usage: python3 bench/loaded.py [--binary PATH] [--saves 30] [--files 500] [--rounds 2] [--only idle,loaded]
       [--stress 'stress-ng arguments'] [-- EXTRA WATCH OPTIONS]
Builds the release binary unless --binary is given. Needs Debian's stress-ng for the loaded run, and the tools of
the styles (vim, emacs, rsync, git; a style whose tool is missing is listed as skipped). Everything happens in a
temporary folder that is removed at the end; every wait has a deadline.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import ROOT, Watcher, release_binary, table  # noqa: E402

STYLES = os.path.join(ROOT, "Tests", "FileSignalsCLITests", "SaveStyles", "save-styles.json")
DEFAULT_STRESS = "--cpu 0 --hdd 1 --hdd-bytes 256M --io 1"


def pressure():
    """The kernel's `some avg10` for CPU and disk, as text for the table."""
    values = []
    for kind in ("cpu", "io"):
        try:
            line = open(f"/proc/pressure/{kind}").readline()
            values.append(f"{kind} {line.split()[1].split('=')[1]}%")
        except OSError:
            values.append(f"{kind} ?")
    return ", ".join(values)


def watch(binary, folder, state_home, extra):
    """`filesignals watch FOLDER --json`, its state database in a folder of the run's own."""
    os.environ["XDG_STATE_HOME"] = state_home  # inherited by the watcher
    return Watcher([binary, "watch", folder, "--json", *extra], b"; ready")


def signals(watcher):
    result = []
    for _, line in watcher.out.lines:
        try:
            result.append(json.loads(line))
        except ValueError:
            pass
    return result


def stop(watcher):
    """SIGTERM decides what is still settling; wait for the process and its readers."""
    watcher.process.send_signal(signal.SIGTERM)
    try:
        watcher.process.wait(120)
    except subprocess.TimeoutExpired:
        watcher.process.kill()
        watcher.process.wait()
    watcher.out.join(30)
    watcher.err.join(30)


def shell(text, cwd, extra_env=None):
    subprocess.run(["sh", "-c", text], cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   env=dict(os.environ, **(extra_env or {})))


def run_style(binary, style, saves, work, extra):
    """One watcher over `saves` folders, each with its own f.md; the style's save run in each in turn."""
    watched = os.path.join(work, "watched")
    outside = os.path.join(work, "outside")
    os.makedirs(watched)
    os.makedirs(outside)
    for index in range(saves):
        folder = os.path.join(watched, f"s{index:03}")
        os.makedirs(folder)
        shell("printf 'old\\n' > f.md && touch -d '2020-01-01 00:00' f.md", folder)
        if style.get("setup"):
            shell(style["setup"], folder)
    watcher = watch(binary, watched, os.path.join(work, "state"), extra)
    watcher.wait_ready(300)
    started = time.monotonic()
    for index in range(saves):
        folder = os.path.join(watched, f"s{index:03}")
        instance = f"s{index:03}/f.md"
        shell(style["save"], folder, {"OUT": outside})
        watcher.out.wait_for(lambda line, i=instance.encode(): b'"post_save"' in line and i in line, 60)
    elapsed = time.monotonic() - started
    stop(watcher)
    by_instance = {}
    for item in signals(watcher):
        by_instance.setdefault(item.get("instance"), []).append(item)
    right, wrong, examples = 0, 0, []
    for index in range(saves):
        got = by_instance.pop(f"s{index:03}/f.md", [])
        summary = [item["signal"] + (f" created:{str(item['created']).lower()}" if "created" in item else "") for item in got]
        changes = got[-1].get("changes", []) if got else []
        expected_changes = style.get("changes")
        changes_right = sorted(changes) == sorted(expected_changes) if expected_changes else "content" in changes
        if summary == ["pre_save", "post_save created:false"] and changes_right:
            right += 1
        else:
            wrong += 1
            if len(examples) < 2:
                examples.append(f"s{index:03}: {summary} changes={changes}")
    others = sum(len(items) for items in by_instance.values())
    if others:
        examples.append(f"signals for other files: {sorted(by_instance)[:5]}")
    return right, wrong, others, elapsed, examples


def bench_styles(binary, saves, extra, condition):
    styles = json.load(open(STYLES))["styles"]
    rows, notes = [], []
    for style in styles:
        if shutil.which(style["tool"]) is None:
            rows.append([style["name"], "-", "-", "-", "skipped: no " + style["tool"]])
            continue
        with tempfile.TemporaryDirectory(prefix="fs-loaded-") as work:
            right, wrong, others, elapsed, examples = run_style(binary, style, saves, work, extra)
        rows.append([style["name"], f"{right}/{saves}", wrong, others, f"{elapsed:.1f} s"])
        notes += [f"  {style['name']}: {example}" for example in examples]
    table(f"save styles, {condition} ({pressure()} at the end): saves that gave exactly pre_save + post_save created:false",
          ["style", "right", "wrong", "other signals", "time"], rows)
    for note in notes:
        print(note)


def bench_checkout(binary, files, rounds, extra, condition):
    with tempfile.TemporaryDirectory(prefix="fs-loaded-") as work:
        repo = os.path.join(work, "repo")
        os.makedirs(os.path.join(repo, "docs"))
        git = "git -c user.email=b@b -c user.name=b"
        for index in range(files):
            with open(os.path.join(repo, "docs", f"page{index:04}.md"), "w") as handle:
                handle.write(f"page {index}, version one\n")
        shell(f"git init -q -b one && {git} add -A && {git} commit -qm one && git checkout -qb two", repo)
        for index in range(files):
            with open(os.path.join(repo, "docs", f"page{index:04}.md"), "w") as handle:
                handle.write(f"page {index}, version two, a little longer\n")
        shell(f"{git} commit -qam two", repo)
        watcher = watch(binary, repo, os.path.join(work, "state"), extra)
        watcher.wait_ready(300)
        checkouts = 0
        started = time.monotonic()
        for _ in range(rounds):
            for branch in ("one", "two"):
                shell(f"git checkout -q {branch}", repo)
                checkouts += 1
                target = checkouts * files
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:
                    saved = sum(1 for _, line in watcher.out.lines if b'"post_save"' in line and b'"instance":"docs/' in line)
                    if saved >= target:
                        break
                    time.sleep(0.05)  # polling a count with a deadline
        elapsed = time.monotonic() - started
        stop(watcher)
        found = [item for item in signals(watcher) if str(item.get("instance", "")).startswith("docs/")]
        updated = sum(1 for item in found if item["signal"] == "post_save" and item.get("created") is False)
        created = sum(1 for item in found if item["signal"] == "post_save" and item.get("created") is True)
        deleted = sum(1 for item in found if item["signal"] == "post_delete")
    table(f"git checkout between two branches differing in {files} files, {checkouts} checkouts, {condition} ({pressure()})",
          ["expected post_save created:false", "post_save created:false", "post_save created:true", "post_delete", "time"],
          [[checkouts * files, updated, created, deleted, f"{elapsed:.1f} s"]])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary")
    parser.add_argument("--saves", type=int, default=30)
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", default="idle,loaded")
    parser.add_argument("--stress", default=DEFAULT_STRESS)
    parser.add_argument("extra", nargs="*", help="options added to `filesignals watch`")
    args = parser.parse_args()
    binary = release_binary(args.binary)
    print(f"filesignals: {binary} {' '.join(args.extra) or '(default configuration: state on, default windows)'}")
    print(f"machine: {os.cpu_count()} cores; pressure now: {pressure()}")
    for condition in args.only.split(","):
        stress = None
        if condition == "loaded":
            if shutil.which("stress-ng") is None:
                sys.exit("stress-ng is missing: apt-get install stress-ng")
            stress_dir = tempfile.mkdtemp(prefix="fs-stress-")
            stress = subprocess.Popen(["stress-ng", *args.stress.split(), "--temp-path", stress_dir],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            time.sleep(3)  # let the load build up before measuring under it
            print(f"\nloaded: stress-ng {args.stress}; pressure after 3 s: {pressure()}")
        try:
            bench_styles(binary, args.saves, args.extra, condition)
            bench_checkout(binary, args.files, args.rounds, args.extra, condition)
        finally:
            if stress is not None:
                os.killpg(stress.pid, signal.SIGKILL)
                stress.wait()
                shutil.rmtree(stress_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
