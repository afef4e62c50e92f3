"""Benchmark of a call-up campaign on a 10M-person register, on both backends.

    python bench/bench_campaign.py                       # 10M register, 3 campaigns per backend
    python bench/bench_campaign.py --people 1000000 --runs 1

Each step is the real command in a fresh process, timed from start to exit, with peak memory
measured as in bench_register.py (highest VmHWM of one process of the tree; largest sum of
VmRSS over the process tree; both sampled every 20 ms from /proc):

    callup campaign create NAME --window 2026-04-01:2026-07-15 --quota 160000 --over-call 0.35 --json
        (freezes the pool: eligibility + pseudonymisation + pool write + allocation)
    callup campaign commit NAME --beacon-source "round 1" --json
    callup campaign draw NAME --beacon v --json
    callup campaign export NAME --out DIR --json
    callup verify DIR/draw-record.json DIR/pool.parquet --json

The register is the store kept by `bench_register.py --keep-big` when there is one (listed in
$CALLUP_BENCH_DIR/stores.json), else a fresh store into which the cached synthetic register is
imported first (that import is timed too). Each run is a new campaign on the same register
(NAME is spring-<random>-<run>). The salt is encrypted at rest, with a key file generated in
$CALLUP_BENCH_DIR. Between commit and draw, a child process times the parts of the draw in the
library (reading the frozen pool from the store, the draw and its record) without writing.
The source measured is a snapshot of the committed tree, as in bench_register.py.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import secrets
import shutil
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from bench_register import (  # noqa: E402
    BENCH_DIR,
    CALLUP,
    SRC_LABEL,
    Store,
    fmt_s,
    gib,
    last_json,
    log,
    measure,
    med,
    register_file,
)

WINDOW = "2026-04-01:2026-07-15"
QUOTA = 160_000
OVER_CALL = "0.35"
STEPS = ("create", "commit", "draw", "export", "verify")


def draw_parts(url: str, name: str, beacon: str) -> dict:
    """(child process) Time reading the frozen pool and the draw in the library; writes nothing."""
    import datetime as dt

    from callup.campaigns.pool_store import read_pool_rows
    from callup.campaigns.service import SALT_COLUMN, _load
    from callup.crypto import decrypt
    from callup.crypto.keys import load_keyring, use_keys
    from callup.lottery.record import load_commitment, run_draw
    from callup.store.bulk import BulkSession

    with use_keys(load_keyring(os.environ)), BulkSession(url) as bulk:  # the salt is encrypted at rest
        t0 = time.perf_counter()
        campaign = _load(bulk, name)
        ids, pool = read_pool_rows(bulk, campaign["id"])
        t1 = time.perf_counter()
        commitment = load_commitment(campaign["commitment"])
        committed_at = campaign["committed_at"]
        if isinstance(committed_at, str):
            committed_at = dt.datetime.fromisoformat(committed_at)
        if committed_at is not None and committed_at.tzinfo is None:
            committed_at = committed_at.replace(tzinfo=dt.UTC)
        run_draw(commitment, decrypt(bytes(campaign["salt"]), SALT_COLUMN), beacon, pool,
                 committed_at=committed_at if commitment.version >= 2 else None)
        t2 = time.perf_counter()
    return {"read_pool": t1 - t0, "draw_and_record": t2 - t1, "pool": pool.num_rows}


class KeptStore:
    """A store left by bench_register.py --keep-big; dropped when done (unless --keep)."""

    def __init__(self, entry: dict, drop: bool) -> None:
        self.backend, self.url, self.entry, self._drop = entry["backend"], entry["url"], entry, drop
        self.path = pathlib.Path(entry["path"]) if entry["path"] else None
        self.schema = entry["schema"]

    _libpq = staticmethod(Store._libpq)

    env = Store.env

    def __enter__(self) -> KeptStore:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._drop:
            Store.drop(self)  # type: ignore[arg-type]
            kept = BENCH_DIR / "stores.json"
            stores = json.loads(kept.read_text())
            stores = {k: v for k, v in stores.items() if v["url"] != self.url}
            kept.write_text(json.dumps(stores, indent=1))


def run_backend(backend: str, people: int, runs: int, keep: bool) -> dict:
    kept = BENCH_DIR / "stores.json"
    entry = json.loads(kept.read_text()).get(f"{backend}-{people}") if kept.exists() else None
    result: dict = {"backend": backend, "people": people, "runs": []}
    if entry:
        log(f"{backend}: using the kept {people:,} store")
        store = KeptStore(entry, drop=not keep)
    else:
        store = Store(backend, f"campaign-{people}")
        log(f"{backend}: importing {people:,}")
        m = measure(CALLUP + ["register", "import", str(register_file(people, "parquet")), "--json"], store.env())
        result["import"] = {k: v for k, v in m.items() if k != "stdout"}
    with store:
        env = store.env()  # with the benchmark's key file: the salt is encrypted at rest
        tag = secrets.token_hex(2)  # a kept store may hold campaigns of an earlier run
        for r in range(runs):
            name = f"spring-{tag}-{r + 1}"
            out_dir = BENCH_DIR / f"export-{backend}-{name}"
            shutil.rmtree(out_dir, ignore_errors=True)
            steps: dict = {}
            log(f"{backend}: campaign {name}")
            steps["create"] = measure(CALLUP + ["campaign", "create", name, "--window", WINDOW, "--quota", str(QUOTA),
                                                "--over-call", OVER_CALL, "--json"], env)
            created = last_json(steps["create"]["stdout"])
            steps["commit"] = measure(CALLUP + ["campaign", "commit", name, "--beacon-source", "round 1", "--json"], env)
            parts = measure([sys.executable, __file__, "--child", store.url, name, "v"], env)
            steps["draw"] = measure(CALLUP + ["campaign", "draw", name, "--beacon", "v", "--json"], env)
            drawn = last_json(steps["draw"]["stdout"])
            steps["export"] = measure(CALLUP + ["campaign", "export", name, "--out", str(out_dir), "--json"], env)
            steps["verify"] = measure(CALLUP + ["verify", str(out_dir / "draw-record.json"), str(out_dir / "pool.parquet"), "--json"], env)
            verdict = last_json(steps["verify"]["stdout"])
            assert verdict.get("match"), verdict.get("verdict")
            pool_bytes = (out_dir / "pool.parquet").stat().st_size
            shutil.rmtree(out_dir, ignore_errors=True)
            for m in steps.values():
                m.pop("stdout", None)
            result["runs"].append({"steps": steps, "pool_size": created["pool_size"], "called": drawn["called"],
                                   "parts": {**last_json(parts["stdout"]), "maxrss_mib": parts["maxrss_mib"]},
                                   "pool_file_bytes": pool_bytes, "verdict": verdict["verdict"]})
            log(f"  {json.dumps({k: round(v['wall'], 2) for k, v in steps.items()})} pool {created['pool_size']:,}")
    return result


def build_report(results: list[dict], load: list[float]) -> str:
    r0 = results[0]["runs"][0]
    lines = [
        f"Source measured: {SRC_LABEL} (a snapshot, so edits in progress cannot change a run). "
        f"Register of {results[0]['people']:,} synthetic people (`callup synth`, seed 1, reference date 2026-01-01), policy "
        f"`examples/policies/republic-of-example.toml`; campaign window {WINDOW}, quota {QUOTA:,}, over-call {OVER_CALL}. "
        f"Eligible pool: {r0['pool_size']:,} people; {r0['called']:,} called. "
        "Each step is the real command in a fresh process (wall time from start to exit, interpreter start-up "
        "included). Peak RSS, sampled every 20 ms from /proc: *largest* is the highest VmHWM of one process of the "
        "command's tree (the SQLite path runs every bulk step in a spawned child); *tree* is the largest sum of VmRSS "
        "over the tree at one sample. "
        f"Load average during the run: {', '.join(f'{x:.1f}' for x in load)} (2 cores, other work on the machine).",
        "",
        "| backend | step | runs | wall, median | min / max | peak RSS largest, GiB | peak RSS tree, GiB |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for res in results:
        for step in STEPS:
            walls = [run["steps"][step]["wall"] for run in res["runs"]]
            lines.append(f"| {res['backend']} | {step} | {len(walls)} | {fmt_s(med(walls))} | {fmt_s(min(walls))} / {fmt_s(max(walls))} | "
                         f"{gib(max(run['steps'][step]['maxrss_mib'] for run in res['runs']))} | "
                         f"{gib(max(run['steps'][step]['tree_mib'] for run in res['runs']))} |")
        if "import" in res:
            imp = res["import"]
            lines.append(f"| {res['backend']} | (setup: register import, Parquet) | 1 | {fmt_s(imp['wall'])} | | "
                         f"{gib(imp['maxrss_mib'])} | {gib(imp['tree_mib'])} |")
    lines += ["", "Parts of the draw, timed in the library in one process between commit and draw (nothing written): "
              "reading the frozen pool from the store (`read_pool_rows`: SELECT ... ORDER BY region, pseudonym, then "
              "hex decoding) and `run_draw` (fingerprint check, draw, record). The target is the draw including the "
              "read of the frozen pool in at most 10 s.", "",
              "| backend | pool | read frozen pool, median | draw + record, median | read + draw | CLI `campaign draw`, median |",
              "|---|---:|---:|---:|---:|---:|"]
    for res in results:
        reads = [run["parts"]["read_pool"] for run in res["runs"]]
        draws = [run["parts"]["draw_and_record"] for run in res["runs"]]
        sums = [a + b for a, b in zip(reads, draws)]
        cli = [run["steps"]["draw"]["wall"] for run in res["runs"]]
        lines.append(f"| {res['backend']} | {res['runs'][0]['pool_size']:,} | {fmt_s(med(reads))} | {fmt_s(med(draws))} | "
                     f"{fmt_s(med(sums))} | {fmt_s(med(cli))} |")
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(draw_parts(*sys.argv[2:5])))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=10_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the stores (default: drop them when done)")
    parser.add_argument("--no-write", action="store_true", help="do not touch BENCHMARKS.md")
    args = parser.parse_args()
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    results, load = [], []
    for backend in args.backends.split(","):
        results.append(run_backend(backend, args.people, args.runs, args.keep))
        load.append(os.getloadavg()[0])
        (BENCH_DIR / "campaign-results.json").write_text(json.dumps(results, indent=1, default=str))
        body = build_report(results, [min(load), max(load)])
        print(body, flush=True)
        if not args.no_write:
            from _report import write_section

            write_section("campaign", "Call-up campaign on a 10M register" if args.people == 10_000_000
                          else f"Call-up campaign on a {args.people:,} register", body)


if __name__ == "__main__":
    main()
