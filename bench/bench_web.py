"""The citizen's status page and status API under load, against a bare FastAPI endpoint.

A PostgreSQL store with `--people` citizens on the register (1,000,000 by default, as the issue asks) and a drawn
campaign whose summonses are issued and published; `callup serve --workers 2` on it, and the
bare endpoint (`bench/web_bare.py`) under uvicorn with 2 workers too. wrk (Debian's package), in
its own process, sends `--connections` concurrent keep-alive requests for `--duration` seconds,
each with the session cookie of one of 256 signed-in citizens in turn (sessions sealed as the
portal's sign-in makes them). Each target is measured `--repeats` times, interleaved, after a
warm-up; the medians are reported with the ratio to the bare endpoint of the same run.

    .venv/bin/python bench/bench_web.py                # 1,000,000 citizens, writes BENCHMARKS.md
    .venv/bin/python bench/bench_web.py --people 20000 --duration 5 --no-report

Needs PostgreSQL (CALLUP_BENCH_POSTGRES_URL, default the local test database; a scratch schema
is made and dropped) and `wrk` (apt-get install wrk).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import dataclasses
import datetime as dt
import json
import os
import pathlib
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from _report import write_section  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
NOW = dt.datetime(2027, 2, 1, 9, 0, tzinfo=dt.UTC)
TARGET_RPS, TARGET_P99_MS = 1500, 50
FIXED = [("status page (GET /portal), reloaded", "/portal"), ("status API (GET /api/v1/me/status), reloaded", "/api/v1/me/status")]
FIXED_SECONDS, SETTLE_SECONDS = 15, 2
LUA = """
local cookies = {}
for line in io.lines("%s") do cookies[#cookies + 1] = line end
local n = math.random(#cookies)
request = function()
  n = n %% #cookies + 1
  return wrk.format("GET", wrk.path, {["Cookie"] = "callup_session=" .. cookies[n]})
end
"""


@dataclasses.dataclass
class Run:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url: str, *, duration: int, connections: int, script: pathlib.Path | None) -> Run:
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    if script is not None:
        argv += ["-s", str(script)]
    out = subprocess.run([*argv, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    errors = 0
    if found := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(found.group(1))
    if found := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        errors += sum(int(g) for g in found.groups())
    return Run(rps, p50, p99, total, errors)


def open_loop(url: str, phases: list[tuple[int, int]], cookies: pathlib.Path, *, signin_share: float) -> list[dict]:
    """`bench/open_loop.mjs`: requests at fixed rates (`phases`: (rate, seconds)); one dict a second."""
    plan = ",".join(f"{rate}:{seconds}" for rate, seconds in phases)
    out = subprocess.run(["node", str(HERE / "open_loop.mjs"), url, plan, str(cookies), str(signin_share)],
                         capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def at_rate(seconds: list[dict]) -> dict:
    """One open-loop run's figures, the first seconds (connections opening) left out."""
    steady = [s for s in seconds if s["second"] >= SETTLE_SECONDS]
    p99s = [s["okP99"] for s in steady if s["okP99"] is not None]
    return {"sent": sum(s["sent"] for s in steady), "ok": sum(s["ok"] for s in steady),
            "failed": sum(s["error"] + s["timeout"] + s["other"] + s["busy"] for s in steady),
            "p99": statistics.median(p99s) if p99s else float("nan"), "worst": max(p99s, default=float("nan"))}


def _wait(url: str, proc: subprocess.Popen, log: pathlib.Path) -> None:
    for _ in range(600):
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"the server stopped:\n{log.read_text()[-3000:]}") from None
            time.sleep(0.1)
    raise SystemExit(f"the server did not answer {url}")


def build_store(url: str, people: int, quota: int, scratch: pathlib.Path, keys) -> list[str]:  # noqa: ANN001
    """Register, drawn campaign, issued and published summonses; the national ids of the summoned."""
    from sqlalchemy import select

    from callup.campaigns import service as campaigns
    from callup.context import Context, FixedClock, make_actor
    from callup.examples import path as example
    from callup.notices import service as notices
    from callup.notices.tables import Summons
    from callup.register.importer import import_register
    from callup.register.synth import synthesise
    from callup.store import open_store
    from callup.uow import UnitOfWork

    open_store(url)
    register_day = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
    ctx = Context(actor=make_actor("bench", "administrator"), database_url=url, clock=FixedClock(register_day), keys=keys)
    policy = ctx.policy()
    path = scratch / "register.parquet"
    synthesise(path, people=people, seed=7, regions=policy.region_codes, citizenship=policy.versions[-1].registration.citizenships[0],
               on=register_day.date())
    began = time.perf_counter()
    import_register(ctx, path)
    with UnitOfWork(ctx) as uow:
        campaigns.create_campaign(uow, campaigns.Decree(name="bench-2027", window=(dt.date(2027, 4, 1), dt.date(2027, 7, 15)),
                                                        quota=quota, over_call="0"))
    campaigns.freeze_campaign(ctx, "bench-2027")
    campaigns.commit_campaign(ctx, "bench-2027", beacon_source="bench beacon")
    campaigns.draw_campaign(ctx, "bench-2027", beacon_value="bench-beacon-value")
    day = dataclasses.replace(ctx, clock=FixedClock(NOW))
    with UnitOfWork(day) as uow:
        issued = notices.issue_summonses(uow, "bench-2027", offices_path=example("offices/republic-of-example.csv"))
        notices.publish_notices(uow, "bench-2027")
    t = Summons.__table__
    with UnitOfWork(day, write=False) as uow:
        ids = uow.execute(select(t.c.national_id).order_by(t.c.id)).scalars().all()
    print(f"store ready in {time.perf_counter() - began:.0f} s: {people:,} citizens, {issued.issued:,} summonses", file=sys.stderr)
    return list(ids)


def citizen_cookies(url: str, keys, national_ids: list[str]) -> list[str]:  # noqa: ANN001
    """Session cookies of `national_ids`, sealed and recorded as the portal's sign-in makes them (an
    unrecorded session is sent to the sign-in page)."""
    from callup.context import Actor, Context, FixedClock, Role
    from callup.uow import UnitOfWork
    from callup.web import session_records
    from callup.web.sessions import Sealer, for_actor

    sealer = Sealer(keys)
    sessions = [dataclasses.replace(for_actor(Actor("citizen (portal)", Role.citizen, person_id=nid)),
                                    expires=int(time.time()) + 86400) for nid in national_ids]
    system = Context(actor=Actor(name="web", role=Role.system), database_url=url, clock=FixedClock(NOW), keys=keys)
    with UnitOfWork(system) as uow:
        for session in sessions:
            session_records.start(uow, session)
    return [sealer.seal(session) for session in sessions]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--quota", type=int, default=30_000)
    parser.add_argument("--duration", type=int, default=15, help="seconds of each wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-report", action="store_true", help="print the figures without writing BENCHMARKS.md")
    args = parser.parse_args()
    for tool, package in (("wrk", "wrk"), ("node", "nodejs")):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed: apt-get install {package}")

    from sqlalchemy import create_engine, text

    from callup.crypto.keys import KeyRing

    base_url = os.environ.get("CALLUP_BENCH_POSTGRES_URL", DEFAULT_PG)
    schema = f"bench_web_{uuid.uuid4().hex[:8]}"
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
            chosen = summoned[:: max(1, len(summoned) // 256)][:256]
            cookie_file = scratch / "cookies.txt"
            cookie_file.write_text("\n".join(citizen_cookies(url, keys, chosen)) + "\n")
            script = scratch / "cookies.lua"
            script.write_text(LUA % cookie_file)
            env = {k: v for k, v in os.environ.items() if not k.startswith("CALLUP_")}
            env.update(CALLUP_DATABASE_URL=url, CALLUP_NOW=NOW.isoformat(),
                       CALLUP_KEYS=json.dumps({"current": "bench", "keys": {"bench": base64.b64encode(keys.keys["bench"]).decode()}}))
            web_port, built_port, bare_port = _free_port(), _free_port(), _free_port()
            web_log, built_log, bare_log = scratch / "web.log", scratch / "built.log", scratch / "bare.log"
            serve = [sys.executable, "-m", "callup.cli", "serve", "--workers", "2", "--port"]
            procs.append(subprocess.Popen([*serve, str(web_port)], env=env, stdout=web_log.open("w"), stderr=subprocess.STDOUT,
                                          cwd=scratch))
            # The same server with nothing kept (CALLUP_STATUS_KEEP_SECONDS=0): every request builds the page,
            # as for citizens who each look once, so the figures cover both ends of the announcement.
            procs.append(subprocess.Popen([*serve, str(built_port)], env={**env, "CALLUP_STATUS_KEEP_SECONDS": "0"},
                                          stdout=built_log.open("w"), stderr=subprocess.STDOUT, cwd=scratch))
            procs.append(subprocess.Popen([sys.executable, "-m", "uvicorn", "web_bare:app", "--port", str(bare_port), "--workers", "2",
                                           "--log-level", "warning", "--no-access-log", "--no-server-header"],
                                          env=env, stdout=bare_log.open("w"), stderr=subprocess.STDOUT, cwd=HERE))
            web, built, bare = f"http://127.0.0.1:{web_port}", f"http://127.0.0.1:{built_port}", f"http://127.0.0.1:{bare_port}"
            _wait(web + "/signin", procs[0], web_log)
            _wait(built + "/signin", procs[1], built_log)
            _wait(bare + "/ping", procs[2], bare_log)
            for server in (web, built):
                probe = urllib.request.Request(server + "/api/v1/me/status",
                                               headers={"Cookie": f"callup_session={cookie_file.read_text().split()[0]}"})
                assert json.loads(urllib.request.urlopen(probe).read())["status"] == "summoned"
            targets = {"bare FastAPI endpoint (GET /ping)": (bare + "/ping", None),
                       "bare endpoint with one store round trip (GET /one-read)": (bare + "/one-read", None),
                       "status page (GET /portal, HTML), reloaded": (web + "/portal", script),
                       "status API (GET /api/v1/me/status, JSON), reloaded": (web + "/api/v1/me/status", script),
                       "status page, built every time": (built + "/portal", script),
                       "status API, built every time": (built + "/api/v1/me/status", script)}
            for where, s in targets.values():  # warm-up: connection pools, templates, caches
                wrk(where, duration=3, connections=args.connections, script=s)
            runs: dict[str, list[Run]] = {name: [] for name in targets}
            fixed: dict[str, list[dict]] = {name: [] for name, _ in FIXED}
            loads = [os.getloadavg()[0]]
            for _ in range(args.repeats):
                for name, (where, s) in targets.items():
                    runs[name].append(wrk(where, duration=args.duration, connections=args.connections, script=s))
                    print(f"{name}: {runs[name][-1]}", file=sys.stderr)
                    loads.append(os.getloadavg()[0])
            # The target's own terms: p99 at a fixed 1,500 requests/s, sent by an open loop (it does not slow down with the server).
            for name, path in FIXED:
                for _ in range(args.repeats):
                    wrk(web + path, duration=3, connections=args.connections, script=script)  # reloads: seen before
                    fixed[name].append(at_rate(open_loop(web + path, [(TARGET_RPS, FIXED_SECONDS)], cookie_file, signin_share=0)))
                    print(f"{name} at {TARGET_RPS}/s: {fixed[name][-1]}", file=sys.stderr)
                    loads.append(os.getloadavg()[0])
            if any(r.errors for values in runs.values() for r in values):
                print("errors: the server's log ends with\n" + web_log.read_text()[-3000:], file=sys.stderr)
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

    bare_rps = statistics.median(r.rps for r in runs["bare FastAPI endpoint (GET /ping)"])
    one_read_rps = statistics.median(r.rps for r in runs["bare endpoint with one store round trip (GET /one-read)"])
    rows = ["| target | requests/s (median) | p50 ms | p99 ms | errors | ratio to bare | ratio to one round trip |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    for name, values in runs.items():
        rps = statistics.median(r.rps for r in values)
        rows.append(f"| {name} | {rps:,.0f} | {statistics.median(r.p50_ms for r in values):.1f} | "
                    f"{statistics.median(r.p99_ms for r in values):.1f} | {sum(r.errors for r in values)} | {rps / bare_rps:.2f} | "
                    f"{rps / one_read_rps:.2f} |")
    rows += ["", f"At a fixed {TARGET_RPS:,} requests/s (open loop, `bench/open_loop.mjs`, {FIXED_SECONDS} s a run, the first "
             f"{SETTLE_SECONDS} s left out; {args.repeats} runs, interleaved after the closed-loop runs):", "",
             "| target | sent | answered 200 | errors and time-outs | p99 ms (median of seconds) | p99 ms (worst second) |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, values in fixed.items():
        rows.append(f"| {name} | {sum(v['sent'] for v in values):,} | {sum(v['ok'] for v in values):,} | "
                    f"{sum(v['failed'] for v in values)} | {statistics.median(v['p99'] for v in values):.1f} | "
                    f"{max(v['worst'] for v in values):.1f} |")
    body = (f"{args.people:,} citizens on the register, {len(summoned):,} with a published summons; PostgreSQL; "
            f"`callup serve --workers 2` and the bare endpoint (uvicorn, 2 workers) on the same 2-core machine as wrk "
            f"(`-t2 -c{args.connections} -d{args.duration}s`, each request with one of {len(chosen)} citizens' session "
            f"cookies in turn); {args.repeats} runs of each, interleaved, after a 3 s warm-up; medians of the runs "
            f"(errors summed). *Reloaded*: the server as shipped, where each worker keeps a citizen's status for "
            f"15 s unless something about them changes (`web/page_cache.py`) and, on PostgreSQL, remembers their "
            f"sessions while the store's notices say nothing changed (`web/session_marks.py`), so these citizens' reloads "
            f"are served with no round trip to the store; *built every time*: the same server with `CALLUP_STATUS_KEEP_SECONDS=0`, "
            f"as for citizens who each look once.\n\n" + "\n".join(rows) +
            f"\n\nTarget: each status target at >= 0.5x the bare endpoint, and p99 <= {TARGET_P99_MS} ms at {TARGET_RPS:,} requests/s "
            f"with 0 errors. "
            f"One-minute load average during the runs: {min(loads):.1f} to {max(loads):.1f} on {os.cpu_count()} cores "
            f"(anything above 2 is other work competing with server, database and wrk).\n")
    print(body)
    if not args.no_report:
        write_section("web", "Web: citizen status page and status API under load", body)


if __name__ == "__main__":
    main()
