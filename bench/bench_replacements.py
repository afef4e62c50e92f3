"""Benchmark of checking a replacements record (what `callup verify` does with replacements.jsonl).

    python bench/bench_replacements.py                      # 10,000 and 50,000 releases, 3 runs each
    python bench/bench_replacements.py --sizes 100000 --runs 1

One region of 1,000,000 people, 160,000 called by the draw; every release is filled from the
reserve (the common case). The floor, measured in the same run, is what any verifier must do per
line: parse its JSON and hash it. The ratio says what the rules and the canonical-JSON check add.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import random
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "src"))

from _report import write_section  # noqa: E402

from callup.lottery import replacements as record  # noqa: E402

DRAW = "ab" * 32
REGION_SIZE, CALLED = 1_000_000, 160_000


def build(releases: int, order: list[str]) -> bytes:
    rnd, live, last, previous, out = random.Random(1), list(range(CALLED)), CALLED, DRAW, []
    for seq in range(1, releases + 1):
        i = rnd.randrange(len(live))
        released, live[i] = live[i], live[-1]
        live.pop()
        last += 1
        live.append(last - 1)
        line = record.entry_line(record.release_entry(
            seq=seq, previous=previous, draw_record=DRAW, date="2027-05-01", region="R", pseudonym=order[released],
            reason="deferred", filled_by="reserve", called=order[last - 1], position=last))
        previous = record.line_hash(line)
        out.append(line + b"\n")
    return b"".join(out)


def timed(fn, runs: int) -> float:  # noqa: ANN001
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    order = [f"{i:032x}" for i in range(REGION_SIZE)]
    rows = []
    for n in args.sizes:
        data = build(n, order)
        check = timed(lambda data=data: record.check(record.parse(data), draw_record=DRAW, call_order=lambda _: order,
                                                     called={"R": CALLED}), args.runs)
        floor = timed(lambda data=data: [(json.loads(x), record.line_hash(x)) for x in data.split(b"\n")[:-1]], args.runs)
        rows.append(f"| {n:,} | {len(data) / 2**20:.1f} MiB | {check:.2f} s | {check / n * 1e6:.0f} µs | {floor:.2f} s | "
                    f"{check / floor:.1f}x |")
        print(rows[-1], flush=True)
    body = (f"One region of {REGION_SIZE:,} people, {CALLED:,} called by the draw, every release filled from the reserve; "
            f"median of {args.runs} runs. Floor: parse and hash every line (what any verifier must do).\n\n"
            "| releases | file | check, median | per entry | floor | ratio |\n|---:|---:|---:|---:|---:|---:|\n"
            + "\n".join(rows))
    write_section("replacements", "Replacements record check", body)


if __name__ == "__main__":
    main()
