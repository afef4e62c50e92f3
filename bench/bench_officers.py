"""Regional officers working their case queues in the console, under load, against a bare endpoint.

A PostgreSQL store with `--people` on the register (1,000,000 by default) and a drawn campaign whose
summonses are issued; `--cases` of the summoned apply for a deferral (each waits for a decision).
`callup serve --workers 2` serves it. `--officers` simulated officers (200), each signed in (a
session sealed and recorded as the console's sign-in makes it) with the cases of their region
shared out among the region's officers, work in a closed loop: open the case page (GET, read its
CSRF token and version), think (`--think` seconds on average, exponential), record a decision
(POST, reasons written, 303 back), open the next. Then the same officers, in the same loop, call a
bare FastAPI endpoint (`bench/web_bare.py`, uvicorn with 2 workers) instead, for the ratio.

Reported: p50/p99 of a decision (the POST) and of opening a case, decisions per second, errors
(any other answer, or no answer) and lost updates (a decision answered 303 that is not in the
store exactly once, or a case decided twice), and the bare endpoint's p99 under the same loop.

    .venv/bin/python bench/bench_officers.py                       # 1,000,000 people, writes BENCHMARKS.md
    .venv/bin/python bench/bench_officers.py --people 20000 --cases 2000 --duration 10 --no-report

Needs PostgreSQL (CALLUP_BENCH_POSTGRES_URL, default the local test database; a scratch schema
is made and dropped). The client runs in this process (asyncio, httpx), on the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import contextlib
import dataclasses
import json
import os
import pathlib
import random
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from _report import write_section  # noqa: E402
from bench_web import DEFAULT_PG, HERE, NOW, _free_port, _wait, build_store  # noqa: E402

TARGET_P99_MS = 200
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')


@dataclasses.dataclass
class Tally:
    decide_ms: list[float] = dataclasses.field(default_factory=list)
    open_ms: list[float] = dataclasses.field(default_factory=list)
    bare_ms: list[float] = dataclasses.field(default_factory=list)
    decided: list[int] = dataclasses.field(default_factory=list)
    errors: collections.Counter = dataclasses.field(default_factory=collections.Counter)


def open_cases(url: str, keys, national_ids: list[str], cases: int) -> dict[str, list[int]]:  # noqa: ANN001
    """`cases` of the summoned apply for a deferral (in transactions of 500); the case ids by region."""
    from callup.cases import deferrals
    from callup.context import Actor, Context, FixedClock, Role
    from callup.uow import UnitOfWork

    day = Context(actor=Actor("bench", Role.administrator), database_url=url, clock=FixedClock(NOW), keys=keys)
    by_region: dict[str, list[int]] = collections.defaultdict(list)
    chosen = national_ids[:cases]
    for i in range(0, len(chosen), 500):
        with UnitOfWork(day) as uow:
            for nid in chosen[i:i + 500]:
                uow.ctx = day.with_actor(Actor("citizen (portal)", Role.citizen, person_id=nid))
                case = deferrals.apply_for_deferral(uow, "bench-2027", nid, "family_care", evidence="CERT-bench").case
                by_region[case.region].append(case.id)
    return dict(by_region)


def officer_cookies(url: str, keys, regions: list[str]) -> list[str]:  # noqa: ANN001
    """Session cookies of one officer per entry of `regions` (their region), sealed and recorded as sign-in makes them."""
    from callup.context import Actor, Context, FixedClock, Role, make_actor
    from callup.uow import UnitOfWork
    from callup.web import session_records
    from callup.web.sessions import Sealer, for_actor

    sealer = Sealer(keys)
    sessions = [dataclasses.replace(for_actor(make_actor(f"officer-{k}", "officer", regions=r, office=f"Office of {r}")),
                                    expires=int(time.time()) + 86400) for k, r in enumerate(regions)]
    system = Context(actor=Actor(name="web", role=Role.system), database_url=url, clock=FixedClock(NOW), keys=keys)
    with UnitOfWork(system) as uow:
        for session in sessions:
            session_records.start(uow, session)
    return [sealer.seal(session) for session in sessions]


async def officer(client, base: str, cookie: str, cases, tally: Tally, *, think: float, until: float) -> None:  # noqa: ANN001
    """Open a case, think, decide it, open the next (from the iterator `cases`); until the time is up or the cases run out."""
    headers = {"Cookie": f"callup_session={cookie}"}
    rng = random.Random(cookie)
    await asyncio.sleep(rng.uniform(0, think))  # officers start their day at different moments, not in one burst
    while time.perf_counter() < until:
        case_id = next(cases, None)
        if case_id is None:
            return
        try:
            began = time.perf_counter()
            page = await client.get(f"{base}/console/cases/{case_id}", headers=headers)
            tally.open_ms.append((time.perf_counter() - began) * 1000)
            if page.status_code != 200:
                tally.errors[f"open {page.status_code}"] += 1
                continue
            csrf, version = CSRF.search(page.text), VERSION.search(page.text)
            if not csrf or not version:
                tally.errors["open: no decision form"] += 1
                continue
            await asyncio.sleep(rng.expovariate(1 / think) if think > 0 else 0)
            decision = "grant" if case_id % 2 else "refuse"
            began = time.perf_counter()
            done = await client.post(f"{base}/console/cases/{case_id}/decision", headers=headers, data={
                "csrf": csrf.group(1), "version": version.group(1), "decision": decision,
                "reason": f"benchmark: {decision}, the family care certificate was checked"})
            tally.decide_ms.append((time.perf_counter() - began) * 1000)
            if done.status_code == 303:
                tally.decided.append(case_id)
            else:
                tally.errors[f"decide {done.status_code}"] += 1
        except Exception as exc:  # noqa: BLE001 - every failure is counted, none stops the run
            tally.errors[type(exc).__name__] += 1


async def pinger(client, base: str, tally: Tally, *, think: float, until: float, seed: int) -> None:  # noqa: ANN001
    """The same loop against the bare endpoint: two requests per round (open, decide), the think time between."""
    rng = random.Random(seed)
    await asyncio.sleep(rng.uniform(0, think))
    while time.perf_counter() < until:
        try:
            await client.get(f"{base}/ping")
            await asyncio.sleep(rng.expovariate(1 / think) if think > 0 else 0)
            began = time.perf_counter()
            answer = await client.get(f"{base}/ping")
            tally.bare_ms.append((time.perf_counter() - began) * 1000)
            if answer.status_code != 200:
                tally.errors[f"bare {answer.status_code}"] += 1
        except Exception as exc:  # noqa: BLE001
            tally.errors[f"bare {type(exc).__name__}"] += 1


async def drive(web: str, bare: str, cookies: list[str], work: list, *, think: float, duration: float) -> Tally:
    import httpx

    tally = Tally()
    limits = httpx.Limits(max_connections=len(cookies) + 8, max_keepalive_connections=len(cookies) + 8)
    async with httpx.AsyncClient(limits=limits, timeout=30, follow_redirects=False) as client:
        until = time.perf_counter() + duration
        await asyncio.gather(*(officer(client, web, c, w, tally, think=think, until=until) for c, w in zip(cookies, work, strict=True)))
        until = time.perf_counter() + duration
        await asyncio.gather(*(pinger(client, bare, tally, think=think, until=until, seed=k) for k in range(len(cookies))))
    return tally


def lost_updates(url: str, decided: list[int]) -> tuple[int, int]:
    """(decisions answered 303 that the store does not hold exactly once, cases holding more than one decision)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        counts = dict(conn.execute(text("SELECT case_id, count(*) FROM case_transitions WHERE step IN ('grant', 'refuse') "
                                        "GROUP BY case_id")).all())
    engine.dispose()
    return sum(counts.get(c, 0) != 1 for c in decided), sum(n > 1 for n in counts.values())


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else (values or [float("nan")])[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--quota", type=int, default=12_000)
    parser.add_argument("--cases", type=int, default=4_000, help="deferral applications waiting for a decision")
    parser.add_argument("--officers", type=int, default=200)
    parser.add_argument("--think", default="2,20", help="an officer's mean seconds between opening a case and deciding it "
                        "(a comma-separated list: one run each, on the same store)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of each phase (officers, then the bare endpoint)")
    parser.add_argument("--no-report", action="store_true", help="print the figures without writing BENCHMARKS.md")
    args = parser.parse_args()

    from sqlalchemy import create_engine, text

    from callup.crypto.keys import KeyRing

    base_url = os.environ.get("CALLUP_BENCH_POSTGRES_URL", DEFAULT_PG)
    schema = f"bench_officers_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{base_url}{'&' if '?' in base_url else '?'}options=-csearch_path%3D{schema}"
    keys = KeyRing(current="bench", keys={"bench": secrets.token_bytes(32)}, source="bench")
    procs: list[subprocess.Popen] = []
    try:
        with tempfile.TemporaryDirectory() as scratch_dir:
            scratch = pathlib.Path(scratch_dir)
            summoned = build_store(url, args.people, args.quota, scratch, keys)
            began = time.perf_counter()
            by_region = open_cases(url, keys, summoned, args.cases)
            print(f"{sum(map(len, by_region.values())):,} cases waiting in {len(by_region)} regions "
                  f"({time.perf_counter() - began:.0f} s)", file=sys.stderr)
            # Officers per region in proportion to its cases (at least one each), the region's cases shared out among them.
            regions = sorted(by_region, key=lambda r: -len(by_region[r]))
            staff = list(regions[:args.officers])
            while len(staff) < args.officers:
                staff.append(max(regions, key=lambda r: len(by_region[r]) / (staff.count(r) + 1)))
            work = []
            for k, region in enumerate(staff):
                colleagues = [j for j, r in enumerate(staff) if r == region]
                work.append(iter(by_region[region][colleagues.index(k)::len(colleagues)]))
            cookies = officer_cookies(url, keys, staff)
            env = {k: v for k, v in os.environ.items() if not k.startswith("CALLUP_")}
            env.update(CALLUP_DATABASE_URL=url, CALLUP_NOW=NOW.replace(month=4, day=10).isoformat(),
                       CALLUP_KEYS=json.dumps({"current": "bench", "keys": {"bench": base64.b64encode(keys.keys["bench"]).decode()}}))
            web_port, bare_port = _free_port(), _free_port()
            web_log, bare_log = scratch / "web.log", scratch / "bare.log"
            procs.append(subprocess.Popen([sys.executable, "-m", "callup.cli", "serve", "--port", str(web_port), "--workers", "2"],
                                          env=env, stdout=web_log.open("w"), stderr=subprocess.STDOUT, cwd=scratch))
            procs.append(subprocess.Popen([sys.executable, "-m", "uvicorn", "web_bare:app", "--port", str(bare_port), "--workers", "2",
                                           "--log-level", "warning", "--no-access-log", "--no-server-header"],
                                          env=env, stdout=bare_log.open("w"), stderr=subprocess.STDOUT, cwd=HERE))
            web, bare = f"http://127.0.0.1:{web_port}", f"http://127.0.0.1:{bare_port}"
            _wait(web + "/signin", procs[0], web_log)
            _wait(bare + "/ping", procs[1], bare_log)
            loads = [os.getloadavg()[0]]
            tallies = {}
            for think in [float(t) for t in args.think.split(",")]:
                tallies[think] = asyncio.run(drive(web, bare, cookies, work, think=think, duration=args.duration))
                loads.append(os.getloadavg()[0])
                print(f"think {think:g} s: {len(tallies[think].decided)} decided, errors {dict(tallies[think].errors)}", file=sys.stderr)
            lost, twice = lost_updates(url, [c for t in tallies.values() for c in t.decided])
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(timeout=20)
        from callup.store.engine import connect

        connect(url).dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    rows = ["| think time (mean) | request | count | p50 ms | p99 ms | p99 / bare p99 | decisions/s | errors |",
            "|---:|---|---:|---:|---:|---:|---:|---:|"]
    for think, t in tallies.items():
        p99, bare_p99 = pct(t.decide_ms, 99), pct(t.bare_ms, 99)
        errors = ", ".join(f"{n} {what}" for what, n in sorted(t.errors.items())) or "0"
        rows += [f"| {think:g} s | record a decision (POST, 303) | {len(t.decide_ms):,} | {pct(t.decide_ms, 50):.0f} | {p99:.0f} | "
                 f"{p99 / bare_p99:.1f} | {len(t.decided) / args.duration:.1f} | {errors} |",
                 f"| {think:g} s | open a case (GET, audited read) | {len(t.open_ms):,} | {pct(t.open_ms, 50):.0f} | "
                 f"{pct(t.open_ms, 99):.0f} | {pct(t.open_ms, 99) / bare_p99:.1f} | | |",
                 f"| {think:g} s | bare FastAPI endpoint (GET /ping), same loop | {len(t.bare_ms):,} | {pct(t.bare_ms, 50):.0f} | "
                 f"{bare_p99:.0f} | 1.0 | | |"]
    body = (f"{args.people:,} people on the register, {len(summoned):,} summoned, {sum(map(len, by_region.values())):,} deferral "
            f"applications waiting in {len(by_region)} regions; PostgreSQL; `callup serve --workers 2`, the bare endpoint "
            f"(uvicorn, 2 workers) and the client (asyncio + httpx, one process) on the same machine. {args.officers} officers, "
            f"each signed in with their region and starting at a random moment within the first think time, work a closed "
            f"loop for {args.duration:.0f} s: open a case, think (exponential, "
            f"the mean below), decide it (grant or refuse with reasons and the page's version; a grant releases the person and "
            f"calls a replacement), open the next; then the same loop for {args.duration:.0f} s against the bare endpoint. "
            f"One run per think time, on the same store.\n\n" + "\n".join(rows) +
            f"\n\nLost updates over all runs: {lost} (decisions answered 303 but not stored exactly once); cases decided twice: "
            f"{twice}. Errors are answers other than the page or the 303 (503: the worker's admission limit refused the request "
            f"at once). Target: p99 of a decision <= {TARGET_P99_MS} ms, no errors, no lost updates. One-minute load average "
            f"{min(loads):.1f} to {max(loads):.1f} on {os.cpu_count()} cores: the machine is shared with other work (anything "
            f"above 2 competes with server, database and client), so these figures are noisy.\n")
    print(body)
    if not args.no_report:
        write_section("officers", "Console: 200 officers deciding cases", body)


if __name__ == "__main__":
    main()
