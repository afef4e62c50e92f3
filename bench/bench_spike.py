"""The portal at the announcement spike: an open-loop flood at ten times what the server sustains.

A PostgreSQL store with `--people` citizens (1,000,000 by default) and a published campaign;
`callup serve --workers 2` on it. First wrk (a closed loop) finds the rate the status page
sustains, R. Then `bench/open_loop.mjs` (Node's http module, an open loop: requests leave at a
fixed rate whatever the server does) sends 0.5 R for 10 s, 10 R for 10 s (the spike), and 0.5 R
for 15 s, each request with one of 256 citizens' session cookies and 5% of them to the sign-in
page. By default each request builds its page (`CALLUP_STATUS_KEEP_SECONDS=0`: citizens who each
look once); `--reloads` lets the workers keep them. Reported: what the server answered during the
spike (200 within what p99, 503 with Retry-After at once, and anything else: a 500 or a time-out
is a failure), how the sign-in page fared against the status page, and how many seconds after the
spike the server answered like before it (no 503 and p99 within twice the baseline's).

    .venv/bin/python bench/bench_spike.py                    # writes BENCHMARKS.md
    .venv/bin/python bench/bench_spike.py --people 50000 --no-report

Needs PostgreSQL (CALLUP_BENCH_POSTGRES_URL, default the local test database; a scratch schema is
made and dropped), `wrk` and `node` (Debian's packages).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import pathlib
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from _report import write_section  # noqa: E402
from bench_web import DEFAULT_PG, LUA, NOW, _free_port, _wait, build_store, citizen_cookies, open_loop, wrk  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
BASE_SECONDS, SPIKE_SECONDS, AFTER_SECONDS, SPIKE_FACTOR, SIGNIN_SHARE = 10, 10, 15, 10, 0.05


def summarise(seconds: list[dict]) -> dict:
    base = [s for s in seconds if s["second"] < BASE_SECONDS]
    spike = [s for s in seconds if BASE_SECONDS <= s["second"] < BASE_SECONDS + SPIKE_SECONDS]
    after = [s for s in seconds if s["second"] >= BASE_SECONDS + SPIKE_SECONDS]
    total = lambda rows, key: sum(r[key] for r in rows)  # noqa: E731
    base_p99 = statistics.median(s["okP99"] for s in base[2:] if s["okP99"] is not None)
    recovered = next((s["second"] - (BASE_SECONDS + SPIKE_SECONDS) for s in after
                      if s["busy"] == 0 and s["error"] == 0 and s["timeout"] == 0 and s["okP99"] is not None
                      and s["okP99"] <= 2 * base_p99), None)
    spike_p99 = [s["okP99"] for s in spike if s["okP99"] is not None]
    signin_sent, status_sent = total(spike, "signinSent"), total(spike, "sent") - total(spike, "signinSent")
    return {
        "base_p99": base_p99, "spike_sent": total(spike, "sent"), "spike_ok": total(spike, "ok"), "spike_busy": total(spike, "busy"),
        "failures": total(seconds, "error") + total(seconds, "timeout") + total(seconds, "other"),
        "spike_ok_p99": statistics.median(spike_p99) if spike_p99 else None, "spike_ok_p99_worst": max(spike_p99, default=None),
        "spike_busy_p99": max((s["busyP99"] for s in spike if s["busyP99"] is not None), default=None),
        "signin_ok_share": total(spike, "signinOk") / signin_sent if signin_sent else None,
        "status_ok_share": (total(spike, "ok") - total(spike, "signinOk")) / status_sent if status_sent else None,
        "recovered_after_s": recovered,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--quota", type=int, default=3_000)
    parser.add_argument("--no-report", action="store_true", help="print the figures without writing BENCHMARKS.md")
    parser.add_argument("--reloads", action="store_true",
                        help="let the workers keep the citizens' pages (reloads); by default each request builds its page")
    args = parser.parse_args()
    for tool in ("wrk", "node"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed: apt-get install {tool if tool == 'wrk' else 'nodejs'}")

    from sqlalchemy import create_engine, text

    from callup.crypto.keys import KeyRing

    base_url = os.environ.get("CALLUP_BENCH_POSTGRES_URL", DEFAULT_PG)
    schema = f"bench_spike_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{base_url}{'&' if '?' in base_url else '?'}options=-csearch_path%3D{schema}"
    keys = KeyRing(current="bench", keys={"bench": secrets.token_bytes(32)}, source="bench")
    proc = None
    try:
        with tempfile.TemporaryDirectory() as scratch_dir:
            scratch = pathlib.Path(scratch_dir)
            summoned = build_store(url, args.people, args.quota, scratch, keys)
            chosen = summoned[:: max(1, len(summoned) // 256)][:256]
            cookies = scratch / "cookies.txt"
            cookies.write_text("\n".join(citizen_cookies(url, keys, chosen)) + "\n")
            script = scratch / "cookies.lua"
            script.write_text(LUA % cookies)
            env = {k: v for k, v in os.environ.items() if not k.startswith("CALLUP_")}
            env.update(CALLUP_DATABASE_URL=url, CALLUP_NOW=NOW.isoformat(),
                       CALLUP_KEYS=json.dumps({"current": "bench", "keys": {"bench": base64.b64encode(keys.keys["bench"]).decode()}}))
            port = _free_port()
            log = scratch / "web.log"
            if not args.reloads:  # first views: each citizen's page built for them, the announcement's own load
                env["CALLUP_STATUS_KEEP_SECONDS"] = "0"
            proc = subprocess.Popen([sys.executable, "-m", "callup.cli", "serve", "--port", str(port), "--workers", "2"],
                                    env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, cwd=scratch)
            site = f"http://127.0.0.1:{port}"
            _wait(site + "/signin", proc, log)
            probe = urllib.request.Request(site + "/portal", headers={"Cookie": f"callup_session={cookies.read_text().split()[0]}"})
            with urllib.request.urlopen(probe) as answer:  # the status page itself, not a way to sign-in
                assert answer.status == 200 and answer.url.endswith("/portal"), answer.url
            wrk(site + "/portal", duration=3, connections=32, script=script)  # warm-up
            sustained = wrk(site + "/portal", duration=10, connections=32, script=script)
            rate = max(10, int(sustained.rps * (1 - sustained.errors / max(1, sustained.requests))))  # answered, not turned away
            print(f"sustained (closed loop): {sustained}", file=sys.stderr)
            load_before = os.getloadavg()[0]
            seconds = open_loop(site + "/portal", [(rate // 2, BASE_SECONDS), (rate * SPIKE_FACTOR, SPIKE_SECONDS),
                                                   (rate // 2, AFTER_SECONDS)], cookies, signin_share=SIGNIN_SHARE)
            for s in seconds:
                print(json.dumps(s), file=sys.stderr)
            errors_logged = sum(1 for line in log.read_text().splitlines() if '"status": 500' in line or "Traceback" in line)
    finally:
        if proc is not None:
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=20)
        from callup.store.engine import connect

        connect(url).dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    s = summarise(seconds)
    pct = lambda v: "n/a" if v is None else f"{100 * v:.0f}%"  # noqa: E731
    body = (
        f"{args.people:,} citizens on the register, {len(summoned):,} with a published summons; PostgreSQL; `callup serve "
        f"--workers 2` (admission limit 64 requests per worker, 16 more for sign-in) on the same 2-core machine as the load "
        f"generators. " + ("Each worker keeps the citizens' pages (reloads). " if args.reloads else
                           "Each request builds its page (`CALLUP_STATUS_KEEP_SECONDS=0`): first views, as when each citizen "
                           "looks once at the announcement; reloads are served about 20 times faster (section web), and ten "
                           "times their rate is more than one generator on this machine can send. ") +
        f"The status page (GET /portal, HTML) sustained **{sustained.rps:,.0f} requests/s** in a closed loop "
        f"(wrk -c32, p99 {sustained.p99_ms:.0f} ms): R = {rate:,}. Open loop (`bench/open_loop.mjs`): {rate // 2:,}/s for "
        f"{BASE_SECONDS} s, **{rate * SPIKE_FACTOR:,}/s for {SPIKE_SECONDS} s** (10 R), {rate // 2:,}/s for {AFTER_SECONDS} s; "
        f"{100 * SIGNIN_SHARE:.0f}% of the requests to the sign-in page.\n\n"
        "| | figure |\n|---|---:|\n"
        f"| requests sent during the spike | {s['spike_sent']:,} |\n"
        f"| answered 200 during the spike | {s['spike_ok']:,} |\n"
        f"| answered 503 + Retry-After during the spike | {s['spike_busy']:,} |\n"
        f"| 500s, other errors and time-outs (whole run) | {s['failures']:,} (server log: {errors_logged} errors) |\n"
        f"| p99 of a 200 before the spike (ms, median of seconds) | {s['base_p99']:.0f} |\n"
        f"| p99 of a 200 during the spike (ms, median of seconds / worst second) | "
        f"{s['spike_ok_p99'] or 0:.0f} / {s['spike_ok_p99_worst'] or 0:.0f} |\n"
        f"| p99 of a 503 during the spike (ms, worst second) | {s['spike_busy_p99'] or 0:.0f} |\n"
        f"| share answered 200 during the spike: sign-in page / status page | {pct(s['signin_ok_share'])} / "
        f"{pct(s['status_ok_share'])} |\n"
        f"| seconds after the spike until no 503 and p99 within 2x the baseline | "
        f"{'not within the run' if s['recovered_after_s'] is None else s['recovered_after_s']} |\n\n"
        f"Targets: no 500 and no time-out; the excess answered 503 quickly; admitted requests within their p99; recovery "
        f"within 5 s; sign-in degrading last. One-minute load average before the flood: {load_before:.1f} on "
        f"{os.cpu_count()} cores (the generator itself takes a core at 10 R).\n")
    print(body)
    if not args.no_report:
        write_section("spike", "Web: the announcement spike (open loop at 10x)", body)


if __name__ == "__main__":
    main()
