"""Start-up of the command line: `callup --help` and `callup db current` against `python -c pass`.

Each command runs as a whole process, interleaved, `--runs` times; medians are compared with
the bare interpreter's median measured in the same run (the machine is noisy, the ratio less so).

    .venv/bin/python bench/bench_startup.py --runs 30
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from _report import write_section  # noqa: E402

TARGET = 0.25


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    callup = os.path.join(os.path.dirname(sys.executable), "callup")
    commands = {"python -c pass": [sys.executable, "-c", "pass"], "callup --help": [callup, "--help"],
                "callup db current": [callup, "db", "current"]}
    times: dict[str, list[float]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "CALLUP_DATABASE_URL": f"sqlite:///{scratch}/callup.db"}
        subprocess.run([callup, "db", "upgrade"], env=env, cwd=scratch, check=True, capture_output=True)
        for _ in range(args.runs):
            for name, argv in commands.items():
                began = time.perf_counter()
                subprocess.run(argv, env=env, cwd=scratch, check=True, capture_output=True)
                times[name].append(time.perf_counter() - began)
    floor = statistics.median(times["python -c pass"])
    rows = ["| command | median s | min s | max s | ratio to python -c pass | target |", "|---|---|---|---|---|---|"]
    for name, values in times.items():
        target = f"<= {TARGET} s" if name != "python -c pass" else ""
        rows.append(f"| `{name}` | {statistics.median(values):.3f} | {min(values):.3f} | {max(values):.3f} | "
                    f"{statistics.median(values) / floor:.1f}x | {target} |")
    body = "Each command a whole process, the three interleaved; medians of all runs.\n\n" + "\n".join(rows) + "\n"
    write_section("startup", "Command-line start-up", body)
    print(body)


if __name__ == "__main__":
    main()
