"""The main job, `callup demo`, end to end on a fresh store: wall time, each step's time, peak memory.

Each run is a whole `callup demo --json` process in a new directory (a new SQLite store and key
file), so nothing is reused from an earlier run. The step times are the ones the demo reports
itself. The machine is shared and noisy, so the figures are medians and the load average is
recorded. Target: the default (1,000,000 people) in at most 5 minutes.

    .venv/bin/python bench/bench_demo.py --runs 3
    .venv/bin/python bench/bench_demo.py --runs 1 --full-scale     # 30 million people; long
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from _report import write_section  # noqa: E402

TARGET = 300.0


def run_once(callup: str, args: list[str]) -> tuple[float, dict[str, float], float, dict]:
    """(wall seconds, step seconds, peak RSS of the demo in GiB, the demo's JSON) of one run."""
    with tempfile.TemporaryDirectory() as scratch:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CALLUP_")}
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        began = time.perf_counter()
        done = subprocess.run([callup, "demo", "--json", *args], env=env, cwd=scratch, capture_output=True, text=True)
        wall = time.perf_counter() - began
        if done.returncode != 0:
            sys.exit(f"the demo failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB; the largest child so far
        result = json.loads(done.stdout)
        return wall, result["seconds"], max(peak, before) / 2**20, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--full-scale", action="store_true")
    args = parser.parse_args()
    callup = os.path.join(os.path.dirname(sys.executable), "callup")
    demo_args = ["--full-scale"] if args.full_scale else []
    walls, steps, peaks, loads = [], [], [], []
    result: dict = {}
    for _ in range(args.runs):
        loads.append(os.getloadavg()[0])
        wall, seconds, peak, result = run_once(callup, demo_args)
        walls.append(wall)
        steps.append(seconds)
        peaks.append(peak)
    people = result["synth"]["people"]
    called = result["simulate"]["people"]
    floor = statistics.median(_floor(3))
    median = statistics.median(walls)
    verdict = "" if args.full_scale else (f", which {'meets' if median <= TARGET else 'misses'} the target of "
                                          f"{TARGET:.0f} s for the default size")
    rows = ["| step | median s | min s | max s |", "|---|---:|---:|---:|"]
    for key in steps[0]:
        values = [s[key] for s in steps]
        rows.append(f"| {key} | {statistics.median(values):.1f} | {min(values):.1f} | {max(values):.1f} |")
    body = (f"`callup demo{' --full-scale' if args.full_scale else ''}`: {people:,} people, {called:,} people driven "
            f"through the simulated campaign; {args.runs} run(s), each on a fresh store. Load average at the start of each "
            f"run: {', '.join(f'{x:.1f}' for x in loads)} (2 cores, shared).\n\n"
            f"Whole command: median **{median:.0f} s** (min {min(walls):.0f} s, max {max(walls):.0f} s){verdict}; peak RSS of the largest process {max(peaks):.2f} GiB; "
            f"`python -c pass` in the same run: {floor:.3f} s.\n\n" + "\n".join(rows) + "\n")
    write_section("demo-full-scale" if args.full_scale else "demo", "The main job: callup demo" +
                  (" --full-scale" if args.full_scale else ""), body)
    print(body)


def _floor(n: int) -> list[float]:
    times = []
    for _ in range(n):
        began = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.perf_counter() - began)
    return times


if __name__ == "__main__":
    main()
