"""The main job, `callup demo`, end to end on a fresh store: wall time, each step's time, peak memory.

Each run is a whole `callup demo --json` process in a new directory (a new SQLite store and key
file), so nothing is reused from an earlier run. The step times are the ones the demo reports
itself. The machine is shared and noisy, so the figures are medians and the load average is
recorded. Target: the default (1,000,000 people) in at most 5 minutes; the full scale (30 million people,
a decree of 160,000) in at most 45 minutes on PostgreSQL.

With `--postgres` each run's store is a scratch schema of CALLUP_BENCH_POSTGRES_URL (default: the
local test database), dropped afterwards; the key file is still the run's own.

    .venv/bin/python bench/bench_demo.py --runs 3
    .venv/bin/python bench/bench_demo.py --runs 1 --full-scale --postgres     # 30 million people; long
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator

sys.path.insert(0, os.path.dirname(__file__))
from _report import write_section  # noqa: E402

TARGET = 300.0
FULL_SCALE_TARGET = 45 * 60.0
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextlib.contextmanager
def scratch_schema(base_url: str) -> Iterator[str]:
    """A store URL whose tables go to a new schema of `base_url`'s database, dropped on the way out."""
    from sqlalchemy import create_engine, text

    schema = f"bench_demo_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{base_url}{'&' if '?' in base_url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def run_once(callup: str, args: list[str], *, postgres: str | None) -> tuple[float, dict[str, float], float, dict]:
    """(wall seconds, step seconds, peak RSS of the demo in GiB, the demo's JSON) of one run."""
    with tempfile.TemporaryDirectory() as scratch, (scratch_schema(postgres) if postgres else contextlib.nullcontext()) as url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CALLUP_")}
        if url:  # a PostgreSQL store and its key file are made by the deploy steps, not by first use
            env["CALLUP_DATABASE_URL"] = url
            env["CALLUP_KEY_FILE"] = os.path.join(scratch, "callup-keys.json")
            subprocess.run([callup, "db", "upgrade"], env=env, cwd=scratch, check=True, stdout=subprocess.DEVNULL)
            subprocess.run([callup, "keys", "generate", "--out", env["CALLUP_KEY_FILE"]], env=env, cwd=scratch, check=True,
                           stdout=subprocess.DEVNULL)
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        began = time.perf_counter()
        # stderr passes through: the demo's progress bars show how far a long run has come.
        done = subprocess.run([callup, "demo", "--json", *args], env=env, cwd=scratch, stdout=subprocess.PIPE, text=True)
        wall = time.perf_counter() - began
        if done.returncode != 0:
            sys.exit(f"the demo failed (exit {done.returncode}); its messages are above")
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB; the largest child so far
        result = json.loads(done.stdout)
        return wall, result["seconds"], max(peak, before) / 2**20, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--full-scale", action="store_true")
    parser.add_argument("--postgres", action="store_true", help="run on PostgreSQL (CALLUP_BENCH_POSTGRES_URL) instead of SQLite")
    args = parser.parse_args()
    callup = os.path.join(os.path.dirname(sys.executable), "callup")
    demo_args = ["--full-scale"] if args.full_scale else []
    postgres = os.environ.get("CALLUP_BENCH_POSTGRES_URL", DEFAULT_PG) if args.postgres else None
    walls, steps, peaks, loads = [], [], [], []
    result: dict = {}
    for _ in range(args.runs):
        loads.append(os.getloadavg()[0])
        wall, seconds, peak, result = run_once(callup, demo_args, postgres=postgres)
        print(f"run {len(walls) + 1}: {wall:.0f} s", json.dumps(seconds), file=sys.stderr)
        walls.append(wall)
        steps.append(seconds)
        peaks.append(peak)
    people = result["synth"]["people"]
    called = result["simulate"]["people"]
    floor = statistics.median(_floor(3))
    median = statistics.median(walls)
    target = FULL_SCALE_TARGET if args.full_scale else TARGET
    verdict = (f", which {'meets' if median <= target else 'misses'} the target of {target:.0f} s for "
               f"{'the full scale' if args.full_scale else 'the default size'}")
    rows = ["| step | median s | min s | max s |", "|---|---:|---:|---:|"]
    for key in steps[0]:
        values = [s[key] for s in steps]
        rows.append(f"| {key} | {statistics.median(values):.1f} | {min(values):.1f} | {max(values):.1f} |")
    body = (f"`callup demo{' --full-scale' if args.full_scale else ''}`: {people:,} people, {called:,} people driven "
            f"through the simulated campaign; {'PostgreSQL' if postgres else 'SQLite'}; {args.runs} run(s), each on a fresh store. Load average at the start of each "
            f"run: {', '.join(f'{x:.1f}' for x in loads)} (2 cores, shared).\n\n"
            f"Whole command: median **{median:.0f} s** (min {min(walls):.0f} s, max {max(walls):.0f} s){verdict}; peak RSS of the largest process {max(peaks):.2f} GiB; "
            f"`python -c pass` in the same run: {floor:.3f} s.\n\n" + "\n".join(rows) + "\n")
    name = ("demo-full-scale" if args.full_scale else "demo") + ("-postgres" if postgres else "")
    write_section(name, "The main job: callup demo" + (" --full-scale" if args.full_scale else "")
                  + (" on PostgreSQL" if postgres else ""), body)
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
