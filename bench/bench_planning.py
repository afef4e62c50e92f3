"""Benchmark: Monte Carlo of the example scenario, 10,000 runs of 36 months (median of several).

Run: .venv/bin/python bench/bench_planning.py  -> writes the `planning` section of BENCHMARKS.md.
Requirement (issue 5): <= 2 s on the reference machine, vectorised across runs.
"""

from __future__ import annotations

import pathlib
import statistics
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from _report import write_section  # noqa: E402

from callup.planning import montecarlo  # noqa: E402
from callup.planning.model import project  # noqa: E402
from callup.planning.scenario import load_scenario  # noqa: E402
from callup.planning.solver import solve  # noqa: E402

SCENARIO = HERE.parent / "examples" / "scenarios" / "seed-36-months.toml"
RUNS, MONTHS, REPEATS = 10_000, 36, 7


def timed(fn, repeats):
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times), min(times), max(times)


def main() -> None:
    scenario = load_scenario(SCENARIO)
    montecarlo.run(scenario, MONTHS, 500, seed=0)  # warm up
    mc_median, mc_min, mc_max = timed(lambda: montecarlo.run(scenario, MONTHS, RUNS, seed=1), REPEATS)
    det_median, _, _ = timed(lambda: project(scenario, MONTHS), REPEATS)
    lp_median, _, _ = timed(lambda: solve(scenario), REPEATS)
    verdict = "meets" if mc_median <= 2.0 else "MISSES"
    body = f"""
| Step | Median | Min | Max |
|---|---:|---:|---:|
| Monte Carlo, {RUNS:,} runs x {MONTHS} months (binomial flows) | {mc_median:.3f} s | {mc_min:.3f} s | {mc_max:.3f} s |
| Deterministic projection, {MONTHS} months | {det_median * 1000:.1f} ms | | |
| Quota solver (response matrix + HiGHS LP) | {lp_median * 1000:.1f} ms | | |

{REPEATS} repeats each, example scenario `examples/scenarios/seed-36-months.toml`. The Monte Carlo
{verdict} the requirement of at most 2 s for 10,000 runs of 36 months.
"""
    write_section("planning", "Force planning: Monte Carlo and solver", body)
    print(body)


if __name__ == "__main__":
    main()
