"""Benchmark of verifying the audit chain (what `callup audit verify` and the console's audit page run in the request).

    python bench/bench_audit_verify.py                          # 200,000 entries, SQLite and PostgreSQL, 3 runs each
    python bench/bench_audit_verify.py --entries 1000000 --runs 1 --backends sqlite

A chain of N entries like the log's own (a person's commitment as target, a reason, small details), written with
the real hash and head, then `audit.verify` timed. The floor, measured in the same run, is reading the same rows in
the same batches without hashing: what any verifier pays to fetch the chain.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import statistics
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "src"))

from _report import write_section  # noqa: E402

POSTGRES = os.environ.get("CALLUP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def private_schema():  # noqa: ANN201
    """A URL on a schema of its own in the PostgreSQL database (never another user's tables), and its remover."""
    import uuid

    from sqlalchemy import create_engine, text

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return f"{POSTGRES}{'&' if '?' in POSTGRES else '?'}options=-csearch_path%3D{schema}", drop


def build(url: str, n: int) -> None:
    """A fresh store whose audit log holds a valid chain of `n` entries."""
    from sqlalchemy import text

    from callup.audit.chain import canonical_json, entry_hash
    from callup.audit.tables import GENESIS
    from callup.store import open_store
    from callup.store.engine import connect

    open_store(url)
    engine = connect(url)
    prev, rows = GENESIS, []
    with engine.begin() as conn:
        for seq in range(1, n + 1):
            at = f"2027-04-01T09:{seq // 60 % 60:02d}:{seq % 60:02d}.000000Z"
            details = canonical_json({"reference": f"R01-{seq:08d}", "view": "summons page"})
            target = f"person#{seq % 50_000:032x}"
            digest = entry_hash(prev, seq=seq, at=at, actor="officer-R01", role="officer", action="notices.read", target=target,
                                reason="checking the appointment", details=details)
            rows.append({"seq": seq, "at": at, "target": target, "details": details, "prev": prev, "hash": digest})
            prev = digest
            if len(rows) == 20_000 or seq == n:
                conn.execute(text("INSERT INTO audit_log (seq, at, actor, role, action, target, reason, details, prev_hash, hash) "
                                  "VALUES (:seq, :at, 'officer-R01', 'officer', 'notices.read', :target, "
                                  "'checking the appointment', :details, :prev, :hash)"), rows)
                rows = []
        conn.execute(text("UPDATE audit_head SET seq = :s, hash = :h WHERE id = 1"), {"s": n, "h": prev})


def floor(url: str) -> None:
    from callup.audit.chain import _batches
    from callup.store.engine import connect

    with connect(url).connect() as conn:
        for _ in _batches(conn):
            pass


def timed(fn, runs: int) -> tuple[float, float, float]:  # noqa: ANN001
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    args = parser.parse_args()
    from callup.audit.chain import verify
    from callup.store.engine import connect

    lines = ["| backend | entries | verify, median | min / max | entries per second | floor (read only), median | ratio |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends:
            url, drop = (f"sqlite:///{tmp}/bench.db", None) if backend == "sqlite" else private_schema()
            build(url, args.entries)
            result = verify(connect(url))
            assert result.ok and result.count == args.entries, result.problem
            median, low, high = timed(lambda url=url: verify(connect(url)), args.runs)
            base, _, _ = timed(lambda url=url: floor(url), args.runs)
            lines.append(f"| {backend} | {args.entries:,} | {median:.2f} s | {low:.2f} s / {high:.2f} s | "
                         f"{args.entries / median:,.0f} | {base:.2f} s | {median / base:.1f} |")
            print(lines[-1], flush=True)
            connect(url).dispose()
            if drop is not None:
                drop()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    body = (f"A chain of {args.entries:,} entries written with the real hashes and head, then verified by "
            "`audit.verify` (one snapshot; batches of 20,000 rows; SHA-256 over each entry's canonical JSON), as the "
            "console's audit page does in the request. The floor reads the same rows in the same batches without "
            f"hashing. Load average during the run: {load} (2 cores, other work on the machine).\n\n"
            + "\n".join(lines) + "\n\nA log of a million entries therefore takes tens of seconds in one request on a loaded "
            "machine: the console verifies a long chain in bounded steps (see the audit page).")
    write_section("audit-verify", "Verifying the audit chain", body)


if __name__ == "__main__":
    main()
