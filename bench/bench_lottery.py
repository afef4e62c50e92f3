"""Benchmark of the lottery draw (pool in memory), and a comparison with `sortition-algorithms`.

    python bench/bench_lottery.py                 # 10M and 30M people, 85 regions, quota 160,000
    python bench/bench_lottery.py --sizes 1000000 --runs 3 --seeds 100   # quick look

Each pool size runs in its own subprocess so that its peak memory (ru_maxrss) is its own.
The comparison installs nothing: if `sortition_algorithms` is not importable it is skipped
with a note (it is a benchmark-only extra, never a project dependency).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import pathlib
import resource
import statistics
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "src"))

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402

from callup.lottery.apportionment import apportion  # noqa: E402
from callup.lottery.draw import draw  # noqa: E402
from callup.lottery.pool import canonical, fingerprint_canonical  # noqa: E402
from callup.lottery.pseudonyms import from_bytes, pseudonymise  # noqa: E402

REGIONS = 85
QUOTA = 160_000


def synthetic_pool(n: int, regions: int, seed: int = 1, volunteer_rate: float = 0.001) -> pa.Table:
    """n random pseudonyms in `regions` regions of unequal size, grouped by region (as the store exports them)."""
    rng = np.random.default_rng(seed)
    weights = rng.gamma(2.0, 1.0, regions)
    sizes = rng.multinomial(n, weights / weights.sum())
    codes = np.repeat(np.arange(regions, dtype=np.int32), sizes)
    names = pa.array([f"Region {i:02d}" for i in range(regions)])
    pseud = from_bytes(np.frombuffer(rng.bytes(16 * n), dtype=np.uint8).reshape(n, 16))
    volunteer = pa.array(rng.random(n) < volunteer_rate)
    return pa.table({"region": pa.DictionaryArray.from_arrays(pa.array(codes), names), "pseudonym": pseud, "volunteer": volunteer})


def maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(n: int, runs: int) -> dict:
    t0 = time.perf_counter()
    pool = synthetic_pool(n, REGIONS)
    build = time.perf_counter() - t0
    region = pool.column("region").chunk(0)
    counts = np.bincount(region.indices.to_numpy(), minlength=len(region.dictionary))
    numbers = apportion({name: int(c) for name, c in zip(region.dictionary.to_pylist(), counts)}, QUOTA)
    times = []
    draw(pool, bytes(32), numbers)  # warm-up
    for i in range(runs):
        t = time.perf_counter()
        _, report = draw(pool, bytes([i]) * 32, numbers)
        times.append(time.perf_counter() - t)
    assert report.called == QUOTA, report.called
    rss_draw = maxrss_mib()
    plain = pool.set_column(0, "region", pool.column("region").cast(pa.string()))
    t = time.perf_counter()
    draw(plain, bytes(32), numbers)
    plain_time = time.perf_counter() - t
    del plain
    t = time.perf_counter()
    canon = canonical(pool)
    canon_time = time.perf_counter() - t
    t = time.perf_counter()
    fingerprint_canonical(canon)
    fp_time = time.perf_counter() - t
    return {
        "n": n,
        "build_s": build,
        "draw_s": times,
        "draw_plain_region_s": plain_time,
        "canonical_s": canon_time,
        "fingerprint_s": fp_time,
        "peak_mib_draw": rss_draw,
        "peak_mib_all": maxrss_mib(),
    }


def run_child(n: int, runs: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", str(n), "--runs", str(runs)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def pseudonymise_rate(n: int = 1_000_000) -> float:
    ids = pa.array([f"{i:011d}" for i in range(n)])
    t = time.perf_counter()
    pseudonymise(bytes(32), ids)
    return (time.perf_counter() - t) / n


# --- comparison with sortition-algorithms (legacy algorithm, quotas by region only) -------------


def sortition_setup(regions: list[str]):
    from sortition_algorithms import Settings, read_in_features, read_in_people

    pools: dict[str, int] = {}
    for r in regions:
        pools[r] = pools.get(r, 0) + 1
    panel = len(regions) // 100
    quotas = apportion(pools, panel)
    feats = [{"feature": "region", "value": k, "min": str(v), "max": str(v)} for k, v in quotas.items()]
    fc, _, _ = read_in_features(["feature", "value", "min", "max"], feats, panel)
    settings = Settings(id_column="id", columns_to_keep=[], selection_algorithm="legacy")
    people, _ = read_in_people(["id", "region"], [{"id": str(i), "region": r} for i, r in enumerate(regions)], fc, settings)
    return fc, people, panel, quotas, pools


def sortition_select(fc, people, panel, seed: int) -> set[int]:
    from sortition_algorithms import find_random_sample
    from sortition_algorithms.utils import set_random_provider

    set_random_provider(seed + 1)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        committees, _ = find_random_sample(fc, people, panel, [], selection_algorithm="legacy")
    return {int(i) for i in committees[0]}


def comparison_pool(n: int, regions: int = 10, seed: int = 7) -> tuple[pa.Table, list[str]]:
    rng = np.random.default_rng(seed)
    weights = rng.gamma(2.0, 1.0, regions)
    names = [f"R{i}" for i in rng.choice(regions, size=n, p=weights / weights.sum())]
    table = pa.table({"region": names, "pseudonym": from_bytes(np.frombuffer(rng.bytes(16 * n), dtype=np.uint8).reshape(n, 16))})
    return table, names


def selection_fit(counts: np.ndarray, regions: np.ndarray, quotas: dict, pools: dict, runs: int) -> tuple[float, float]:
    """Largest |observed - quota/pool| over persons, and the smallest per-region chi-square p-value."""
    from scipy import stats

    worst, p_min = 0.0, 1.0
    for name, size in pools.items():
        p = quotas[name] / size
        obs = counts[regions == name]
        worst = max(worst, float(np.abs(obs / runs - p).max()))
        if 0 < p < 1:
            p_min = min(p_min, float(stats.chisquare(obs, np.full(len(obs), obs.sum() / len(obs))).pvalue))
    return worst, p_min


def compare(seeds: int) -> str:
    import logging

    logging.disable(logging.INFO)  # the legacy algorithm logs every trial
    try:
        import sortition_algorithms  # noqa: F401
    except ImportError:
        return "`sortition-algorithms` is not installed: comparison skipped (`pip install sortition-algorithms` to run it; it is not a project dependency)."
    lines = ["| pool | panel (1%) | callup draw, median | sortition legacy, median | ratio |", "|---:|---:|---:|---:|---:|"]
    for n in (10_000, 100_000):
        table, names = comparison_pool(n)
        fc, people, panel, quotas, pools = sortition_setup(names)
        ours, theirs = [], []
        for i in range(5):
            t = time.perf_counter()
            draw(table, bytes([i]) * 32, quotas)
            ours.append(time.perf_counter() - t)
        for i in range(3 if n <= 10_000 else 1):
            t = time.perf_counter()
            sortition_select(fc, people, panel, i)
            theirs.append(time.perf_counter() - t)
        a, b = statistics.median(ours), statistics.median(theirs)
        lines.append(f"| {n:,} | {panel:,} | {a * 1000:.1f} ms | {b * 1000:.0f} ms | {b / a:,.0f}x |")
    # Selection probabilities over many seeds, 10k pool.
    table, names = comparison_pool(10_000)
    fc, people, panel, quotas, pools = sortition_setup(names)
    regions = np.array(names)
    region_names = sorted(pools)
    ours = np.zeros(len(names))
    rng = np.random.default_rng(2031)
    exact_ours = exact_theirs = 0
    for _ in range(seeds):
        result, _ = draw(table, rng.bytes(32), quotas)
        ours += result.called
        exact_ours += all(int(result.called[regions == r].sum()) == quotas[r] for r in region_names)
    theirs = np.zeros(len(names))
    for s in range(seeds):
        picked = np.zeros(len(names), dtype=bool)
        picked[list(sortition_select(fc, people, panel, 1000 + s))] = True
        theirs += picked
        exact_theirs += all(int(picked[regions == r].sum()) == quotas[r] for r in region_names)
    wo, po = selection_fit(ours, regions, quotas, pools, seeds)
    wt, pt = selection_fit(theirs, regions, quotas, pools, seeds)
    lines += [
        "",
        f"Selection probability over {seeds} seeds, 10,000 people in 10 regions, panel 100 (quotas apportioned by largest remainder):",
        "",
        "| algorithm | regional quotas met exactly | largest per-person deviation from quota/pool | smallest per-region chi-square p (uniform within region) |",
        "|---|---|---:|---:|",
        f"| callup draw | {exact_ours} of {seeds} runs | {wo:.4f} | {po:.3f} |",
        f"| sortition legacy | {exact_theirs} of {seeds} runs | {wt:.4f} | {pt:.3f} |",
        "",
        f"With {seeds} runs the binomial standard error of one person's frequency at p = 0.01 is {np.sqrt(0.01 * 0.99 / seeds):.4f} "
        f"(the largest deviation over 10,000 people is naturally several standard errors). "
        + (
            "Neither algorithm's per-region chi-square test rejects equal selection probability within the region at 0.001."
            if min(po, pt) > 0.001
            else "At least one per-region chi-square test rejects equal selection probability at 0.001: see the p-values."
        ),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000_000, 30_000_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--child", type=int)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.runs)))
        return
    from _report import write_section

    rows = ["| people | draw, median | draw, min | region as plain strings | canonical sort (freeze) | pool fingerprint | peak RSS, draw | peak RSS, incl. sort |", "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for n in args.sizes:
        r = run_child(n, args.runs)
        print(json.dumps(r), file=sys.stderr)
        rows.append(
            f"| {n:,} | {statistics.median(r['draw_s']):.2f} s | {min(r['draw_s']):.2f} s | {r['draw_plain_region_s']:.2f} s | {r['canonical_s']:.2f} s | "
            f"{r['fingerprint_s']:.2f} s | {r['peak_mib_draw'] / 1024:.2f} GiB | {r['peak_mib_all'] / 1024:.2f} GiB |"
        )
    rate = pseudonymise_rate()
    body = "\n".join(
        [
            f"Draw over a pool in memory: {REGIONS} regions of unequal size, national quota {QUOTA:,} apportioned by largest remainder, "
            f"0.1% volunteers; median of {args.runs} runs after one warm-up, each pool size in its own process (peak RSS from `getrusage`, "
            "including the synthetic pool itself). The draw is AES-256-ECB of every pseudonym under the seed, then per region an argsort "
            "of the high 64 bits of the rank keys (exact 128-bit fallback on equal high words), on 2 threads.",
            "",
            *rows,
            "",
            f"Pseudonymisation (HMAC-SHA256 of normalised ids, once at freeze time): {rate * 1e6:.2f} µs per id "
            f"(about {rate * 1e7:.0f} s per 10M ids).",
            "",
            "### Against sortition-algorithms (legacy, quotas by region only)",
            "",
            compare(args.seeds),
        ]
    )
    write_section("lottery", "Lottery draw", body)
    print(body)


if __name__ == "__main__":
    main()
