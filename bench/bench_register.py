"""Benchmark of `register import` (end to end, both backends) and of eligibility over the register.

    python bench/bench_register.py                                  # 1M (3 runs) and 10M (1 run), CSV and Parquet
    python bench/bench_register.py --sizes 1000000 --runs 1         # quick look
    python bench/bench_register.py --backends sqlite --formats parquet

Every measured step is the real command (`callup register import FILE --json`, `callup register
eligible --on DATE --json`) in a fresh process, into a fresh store: a new SQLite file, or a new
PostgreSQL schema `bench_<random>` (dropped afterwards). For each step the figures are

* wall time, from the start of the process to its exit (interpreter start-up included);
* peak RSS of the largest process of the step: the highest VmHWM of the process and its
  descendants (the SQLite path runs the database work in a spawned child process, see
  `store.isolation`), sampled every 20 ms from /proc;
* peak RSS of the whole process tree: the largest sum of VmRSS over the process and all its
  descendants at one sample (shared pages counted once per process, so an upper bound).

The raw floor, in the same run, reads the same file with Arrow in blocks and inserts the rows
as text into a bare table with a primary key in one transaction: ADBC ingest on both backends
(the driver the project uses), and the stdlib `sqlite3.executemany` for comparison.

Registers come from the project's generator (`callup synth`, seed 1, reference date
2026-01-01) and are cached in $CALLUP_BENCH_DIR (default /tmp/callup-bench) so reruns skip
generation. The "updated" file is the same register with the address of every tenth person
changed. PostgreSQL: $CALLUP_BENCH_PG (default postgresql+psycopg://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import secrets
import statistics
import subprocess
import sys
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
BENCH_DIR = pathlib.Path(os.environ.get("CALLUP_BENCH_DIR", "/tmp/callup-bench"))


def source_tree() -> tuple[pathlib.Path, str]:
    """The source measured: a snapshot of the committed tree (`git archive HEAD src`), so that edits in
    progress in the working tree cannot change or break a run; $CALLUP_BENCH_SRC=worktree measures the
    working tree instead, any other value names a source directory."""
    choice = os.environ.get("CALLUP_BENCH_SRC", "")
    if choice == "worktree":
        return ROOT / "src", "working tree"
    if choice:
        return pathlib.Path(choice), choice
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True, cwd=ROOT).stdout.strip()
    target = BENCH_DIR / f"src-{rev}"
    if not (target / "src" / "callup").is_dir():
        tmp = BENCH_DIR / f"src-{rev}.tmp-{os.getpid()}"
        tmp.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "archive", "HEAD", "src"], capture_output=True, check=True, cwd=ROOT).stdout
        subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive, check=True)
        if not (target / "src" / "callup").is_dir():
            tmp.rename(target)
    return target / "src", f"commit {rev}"


if "CALLUP_BENCH_SRC_RESOLVED" not in os.environ:  # resolved once by the parent, inherited by every child
    _src, _label = source_tree()
    os.environ["CALLUP_BENCH_SRC_RESOLVED"], os.environ["CALLUP_BENCH_SRC_LABEL"] = str(_src), _label
SRC = pathlib.Path(os.environ["CALLUP_BENCH_SRC_RESOLVED"])
SRC_LABEL = os.environ["CALLUP_BENCH_SRC_LABEL"]
os.environ["PYTHONPATH"] = os.pathsep.join([str(SRC)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(SRC))
PG_BASE = os.environ.get("CALLUP_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
POLICY = ROOT / "examples" / "policies" / "republic-of-example.toml"
CALLUP = [sys.executable, "-m", "callup.cli"]
SEED = 1
REFERENCE = "2026-01-01"
ELIGIBLE_ON = "2026-04-01"
COLUMNS = ["national_id", "family_name", "given_names", "date_of_birth", "sex", "citizenship", "region", "address",
           "postcode", "email", "phone", "civil_status", "volunteer"]


# --- measuring a process tree --------------------------------------------------------------


def _children(pid: int) -> list[int]:
    try:
        text = pathlib.Path(f"/proc/{pid}/task/{pid}/children").read_text()
        return [int(p) for p in text.split()]
    except OSError:
        pass
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(_children(p))
    return out


def _memory_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in KiB; zeros once it has gone."""
    rss = hwm = 0
    try:
        for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    except OSError:
        pass
    return rss, hwm


def measure(cmd: list[str], env: dict[str, str] | None = None, interval: float = 0.02) -> dict:
    """Run `cmd`; wall time, stdout, and peak memory in MiB.

    `maxrss_mib`: the largest VmHWM (peak RSS of one process, reset at exec) over the process and
    its descendants, sampled every `interval`; `tree_mib`: the largest sum of VmRSS over the tree at
    one sample. (`ru_maxrss` from wait4 is not used: the kernel carries the peak of the forking
    parent, this script, across fork and exec, so small steps would show the script's own size.)
    """
    out_path = BENCH_DIR / f".out-{os.getpid()}-{secrets.token_hex(4)}"
    with open(out_path, "wb") as out, open(out_path.with_suffix(".err"), "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env={**os.environ, **(env or {})}, cwd=ROOT)
        tree_peak = [0]
        hwm: dict[int, int] = {}
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                total = 0
                for pid in _tree(proc.pid):
                    rss, high = _memory_kib(pid)
                    total += rss
                    hwm[pid] = max(hwm.get(pid, 0), high)
                tree_peak[0] = max(tree_peak[0], total)
                done.wait(interval)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    stdout = out_path.read_text()
    stderr = out_path.with_suffix(".err").read_text()
    out_path.unlink()
    out_path.with_suffix(".err").unlink()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{stderr[-3000:]}\n{stdout[-2000:]}")
    return {"wall": wall, "maxrss_mib": max(hwm.values(), default=0) / 1024, "tree_mib": tree_peak[0] / 1024,
            "stdout": stdout}


def last_json(text: str) -> dict:
    start = text.find("{")
    return json.loads(text[start:]) if start >= 0 else {}


# --- stores -------------------------------------------------------------------------------


def key_file() -> pathlib.Path:
    """The benchmark's encryption key file (commands load keys at start; none is created beside a store)."""
    path = BENCH_DIR / "bench-keys.json"
    if not path.exists():
        from callup.crypto.keys import generate_key_file

        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        generate_key_file(path)
    return path


def bench_context(url: str):  # noqa: ANN201 - callup.context.Context
    """The context of a library call in a benchmark child: the benchmark as administrator, with its keys."""
    from callup.context import Context, make_actor
    from callup.crypto.keys import load_keyring

    return Context(actor=make_actor("bench", "administrator"), database_url=url,
                   keys=load_keyring({"CALLUP_KEY_FILE": str(key_file())}), policy_path=str(POLICY))



class Store:
    """A fresh, empty store for one run: a SQLite file or a PostgreSQL schema."""

    def __init__(self, backend: str, label: str) -> None:
        self.backend = backend
        if backend == "sqlite":
            self.path = BENCH_DIR / f"store-{label}-{secrets.token_hex(3)}.db"
            self.url = f"sqlite:///{self.path}"
        else:
            import psycopg

            self.schema = f"bench_{secrets.token_hex(4)}"
            with psycopg.connect(self._libpq(), autocommit=True) as conn:
                conn.execute(f"CREATE SCHEMA {self.schema}")
            self.url = f"{PG_BASE}?options=-csearch_path%3D{self.schema}"
        measure(CALLUP + ["db", "upgrade", "--json"], self.env())

    @staticmethod
    def _libpq() -> str:
        return PG_BASE.replace("postgresql+psycopg://", "postgresql://")

    def env(self) -> dict[str, str]:
        return {"CALLUP_DATABASE_URL": self.url, "CALLUP_POLICY": str(POLICY), "CALLUP_KEY_FILE": str(key_file())}

    def drop(self) -> None:
        if self.backend == "sqlite":
            for suffix in ("", "-wal", "-shm", "-journal", ".register.import.lock"):
                pathlib.Path(str(self.path) + suffix).unlink(missing_ok=True)
        else:
            import psycopg

            with psycopg.connect(self._libpq(), autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.drop()


# --- data ---------------------------------------------------------------------------------


def register_file(people: int, fmt: str) -> pathlib.Path:
    """The cached synthetic register of `people` rows (generated with `callup synth` when missing)."""
    path = BENCH_DIR / f"register-{people}-s{SEED}-{REFERENCE.replace('-', '')}.{fmt}"
    if not path.exists():
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.stem + ".tmp." + fmt)
        subprocess.run(CALLUP + ["synth", "--people", str(people), "--seed", str(SEED), "--on", REFERENCE, "--policy", str(POLICY),
                                 "--out", str(tmp), "--json"], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        tmp.rename(path)
    return path


def updated_file(people: int, fmt: str) -> pathlib.Path:
    """The same register with the address of every tenth person changed (10% of rows differ)."""
    path = BENCH_DIR / f"register-{people}-s{SEED}-{REFERENCE.replace('-', '')}-updated.{fmt}"
    if not path.exists():
        register_file(people, "parquet")
        subprocess.run([sys.executable, __file__, "--child", "updated", str(people), fmt], check=True, stdout=subprocess.DEVNULL)
    return path


def _write_updated(people: int, fmt: str) -> pathlib.Path:
    path = BENCH_DIR / f"register-{people}-s{SEED}-{REFERENCE.replace('-', '')}-updated.{fmt}"
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    source = pq.ParquetFile(register_file(people, "parquet"))
    tmp = path.with_name(path.stem + ".tmp." + fmt)
    writer = None
    start = 0
    with open(tmp, "wb") as fh:
        for batch in source.iter_batches(batch_size=1_000_000):
            table = pa.Table.from_batches([batch])
            changed = pa.array(np.arange(start, start + table.num_rows) % 10 == 0)
            start += table.num_rows
            i = table.schema.get_field_index("address")
            table = table.set_column(i, "address", pc.if_else(changed, pc.binary_join_element_wise(table.column(i), "(moved)", " "),
                                                              table.column(i)))
            if fmt == "csv":
                sink = pa.BufferOutputStream()
                pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=writer is None, quoting_style="needed"))
                fh.write(sink.getvalue().to_pybytes())
                writer = True
            else:
                writer = writer or pq.ParquetWriter(fh, table.schema, compression="zstd")
                writer.write_table(table)
        if fmt == "parquet" and writer is not None:
            writer.close()
    tmp.rename(path)
    return path


def _blocks(path: pathlib.Path):
    """The file as Arrow record batches of strings, as the importer reads it (16 MiB CSV blocks, 131,072-row Parquet batches)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    if path.suffix == ".csv":
        reader = pacsv.open_csv(path, read_options=pacsv.ReadOptions(block_size=16 * 2**20),
                                convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in COLUMNS}))
        yield from reader
    else:
        yield from pq.ParquetFile(path).iter_batches(batch_size=131_072)


def raw_floor(backend: str, path: pathlib.Path, method: str, url: str) -> dict:
    """(runs in a child process) Read `path` and insert its rows into a bare table with a primary key."""
    import pyarrow as pa

    ddl = "CREATE TABLE raw_people (" + ", ".join(f"{c} TEXT{' PRIMARY KEY' if c == 'national_id' else ''}" for c in COLUMNS) + ")"
    t0 = time.perf_counter()
    read = insert = convert = 0.0
    rows = 0
    if method == "read":
        for batch in _blocks(path):
            rows += batch.num_rows
        return {"rows": rows, "total": time.perf_counter() - t0}
    if backend == "sqlite" and method == "executemany":
        import sqlite3

        conn = sqlite3.connect(url, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(ddl)
        conn.execute("BEGIN")
        sql = f"INSERT INTO raw_people VALUES ({', '.join('?' * len(COLUMNS))})"
        it = _blocks(path)
        while True:
            t = time.perf_counter()
            batch = next(it, None)
            read += time.perf_counter() - t
            if batch is None:
                break
            t = time.perf_counter()
            tuples = list(zip(*(batch.column(c).to_pylist() for c in COLUMNS)))
            convert += time.perf_counter() - t
            t = time.perf_counter()
            conn.executemany(sql, tuples)
            insert += time.perf_counter() - t
            rows += len(tuples)
        t = time.perf_counter()
        conn.execute("COMMIT")
        insert += time.perf_counter() - t
        conn.close()
    else:
        if backend == "sqlite":
            import adbc_driver_sqlite.dbapi as adbc

            conn = adbc.connect(url, autocommit=True)
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA cache_size=-262144")
            begin = "BEGIN IMMEDIATE"
        else:
            import adbc_driver_postgresql.dbapi as adbc

            conn = adbc.connect(url, autocommit=True)
            cur = conn.cursor()
            begin = "BEGIN"
        cur.execute(ddl)
        cur.execute(begin)
        it = _blocks(path)
        while True:
            t = time.perf_counter()
            batch = next(it, None)
            read += time.perf_counter() - t
            if batch is None:
                break
            t = time.perf_counter()
            cur.adbc_ingest("raw_people", pa.Table.from_batches([batch]).select(COLUMNS), mode="append")
            insert += time.perf_counter() - t
            rows += batch.num_rows
        t = time.perf_counter()
        cur.execute("COMMIT")
        insert += time.perf_counter() - t
        cur.close()
        conn.close()
    return {"rows": rows, "total": time.perf_counter() - t0, "read": read, "convert": convert, "insert": insert}


def eligibility_in_process(url: str, on: str, runs: int) -> dict:
    """(runs in a child process) Time the library call `eligibility(ctx, version, on)` in one process."""
    import datetime as dt

    from callup.register.eligibility import eligibility
    from callup.store import open_store

    open_store(url)
    ctx = bench_context(url)
    day = dt.date.fromisoformat(on)
    version = ctx.policy().in_force(day)
    times, report = [], None
    for _ in range(runs):
        t = time.perf_counter()
        report = eligibility(ctx, version, day)
        times.append(time.perf_counter() - t)
    return {"times": times, "eligible": report.eligible, "registered": report.registered}


def child_main(argv: list[str]) -> None:
    kind = argv[0]
    if kind == "raw":
        result = raw_floor(argv[1], pathlib.Path(argv[2]), argv[3], argv[4])
    elif kind == "updated":
        result = {"path": str(_write_updated(int(argv[1]), argv[2]))}
    else:
        result = eligibility_in_process(argv[1], argv[2], int(argv[3]))
    print(json.dumps(result))


def raw_url(store: Store) -> str:
    if store.backend == "sqlite":
        return str(store.path)
    return f"{Store._libpq()}?options=-csearch_path%3D{store.schema}"


# --- the benchmark ------------------------------------------------------------------------


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run_import_cycle(backend: str, people: int, fmt: str, *, eligibility_runs: int, updated: bool, keep: bool = False) -> dict:
    """Fresh store; import, re-import, updated import, eligibility (CLI and in-process)."""
    path = register_file(people, fmt)
    out: dict = {}
    store = Store(backend, f"{people}-{fmt}")
    try:
        env = store.env()
        m = measure(CALLUP + ["register", "import", str(path), "--json"], env)
        report = last_json(m["stdout"])
        assert report["rows_imported"] == people and not report["already_done"], report
        out["import"] = m
        m = measure(CALLUP + ["register", "import", str(path), "--json"], env)
        assert last_json(m["stdout"])["already_done"], m["stdout"]
        out["reimport"] = m
        if updated:
            m = measure(CALLUP + ["register", "import", str(updated_file(people, fmt)), "--json"], env)
            assert last_json(m["stdout"])["rows_imported"] == people, m["stdout"]
            out["updated"] = m
        if eligibility_runs:
            runs = [measure(CALLUP + ["register", "eligible", "--on", ELIGIBLE_ON, "--json"], env) for _ in range(eligibility_runs)]
            out["eligible_cli"] = runs
            out["eligible_count"] = last_json(runs[0]["stdout"])["eligible"]
            m = measure([sys.executable, __file__, "--child", "elig", store.url, ELIGIBLE_ON, str(eligibility_runs)])
            out["eligible_lib"] = {**last_json(m["stdout"]), "maxrss_mib": m["maxrss_mib"], "tree_mib": m["tree_mib"]}
        if store.backend == "sqlite":
            out["db_bytes"] = store.path.stat().st_size
        if keep:  # left for bench_campaign.py, which drops it
            kept = BENCH_DIR / "stores.json"
            stores = json.loads(kept.read_text()) if kept.exists() else {}
            stores[f"{backend}-{people}"] = {"url": store.url, "backend": backend, "people": people,
                                              "path": str(getattr(store, "path", "")), "schema": getattr(store, "schema", "")}
            kept.write_text(json.dumps(stores, indent=1))
    finally:
        if not keep:
            store.drop()
    for m in out.values():
        if isinstance(m, dict):
            m.pop("stdout", None)
    for m in out.get("eligible_cli", []):
        m.pop("stdout", None)
    return out


def run_raw(backend: str, people: int, fmt: str, method: str) -> dict:
    path = register_file(people, fmt)
    with Store(backend, f"raw-{people}-{fmt}") as store:
        m = measure([sys.executable, __file__, "--child", "raw", backend, str(path), method, raw_url(store)])
    return {**last_json(m["stdout"]), "wall": m["wall"], "maxrss_mib": m["maxrss_mib"], "tree_mib": m["tree_mib"]}


def fmt_s(x: float) -> str:
    return f"{x:.2f} s" if x < 100 else f"{x:.0f} s"


def fmt_rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds / 1000:,.0f}k"


def gib(mib: float | None) -> str:
    return "-" if mib is None else f"{mib / 1024:.2f}"


def peak(steps: list[dict], key: str) -> float | None:
    """The largest figure `key` over steps, None when a step lacks it."""
    values = [m.get(key) for m in steps]
    return None if not values or None in values else max(values)


def updated_cell(r: dict) -> str:
    walls = [c["updated"]["wall"] for c in r["cycles"] if "updated" in c]
    if not walls:
        return "-"
    return f"{fmt_s(med(walls))} ({fmt_rate(r['people'], med(walls))}/s)"


def startup(backend: str, runs: int = 3) -> list[float]:
    """Wall time of a command that only opens the store: the floor of every CLI figure."""
    with Store(backend, "startup") as store:
        return [measure(CALLUP + ["db", "current", "--json"], store.env())["wall"] for _ in range(runs)]


def build_report(results: list[dict], load: list[float], starts: dict[str, list[float]]) -> str:
    lines = [
        f"Source measured: {SRC_LABEL} (a snapshot, so edits in progress cannot change a run). "
        "End to end `callup register import FILE --json` into a fresh store (schema created beforehand with `callup db upgrade`), "
        "wall time of the whole command including interpreter start-up; synthetic register from `callup synth` "
        f"(seed {SEED}, reference date {REFERENCE}, no malformed rows). Peak RSS, sampled every 20 ms from /proc: *largest* is the highest VmHWM of "
        "one process of the command's tree; *tree* is the largest sum of VmRSS over the tree at one sample (SQLite runs "
        "the database work in a spawned child, so both processes count; shared pages are counted twice). "
        "Raw floor: the same file read in the same blocks with Arrow and inserted as text into a bare table "
        "with a primary key, one transaction (ADBC ingest: prepared inserts in C on SQLite, COPY on PostgreSQL). "
        f"Load average during the run: {', '.join(f'{x:.1f}' for x in load)} (other work on the machine; 2 cores).",
        "",
        "| backend | rows | format | runs | import, median | rows/s | raw ADBC floor | end-to-end / raw | re-import (no-op) | "
        "updated file (10% changed) | peak RSS largest, GiB | peak RSS tree, GiB |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        imports = [c["import"]["wall"] for c in r["cycles"]]
        raw = r.get("raw", {}).get("adbc")
        lines.append(
            f"| {r['backend']} | {r['people']:,} | {r['format']} | {len(imports)} | {fmt_s(med(imports))} "
            f"(min {fmt_s(min(imports))}) | {fmt_rate(r['people'], med(imports))} | "
            + (f"{fmt_s(raw['wall'])} ({fmt_rate(r['people'], raw['wall'])}/s) | {med(imports) / raw['wall']:.1f}x | " if raw else "- | - | ")
            + f"{fmt_s(med([c['reimport']['wall'] for c in r['cycles']]))} | {updated_cell(r)} | "
            f"{gib(peak([c['import'] for c in r['cycles']], 'maxrss_mib'))} | {gib(peak([c['import'] for c in r['cycles']], 'tree_mib'))} |"
        )
    if starts:
        lines += ["", "Start-up floor of any command (`callup db current --json`, median of 3): "
                  + ", ".join(f"{b} {fmt_s(med(t))}" for b, t in starts.items()) + "."]
    lines += ["", "Raw floors in detail (one run each; times inside the process, wall includes start-up):", "",
              "| backend | rows | format | method | wall | read (Arrow) | to Python tuples | insert + commit | rows/s (wall) | peak RSS, GiB |",
              "|---|---:|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        for method, raw in r.get("raw", {}).items():
            lines.append(f"| {r['backend']} | {r['people']:,} | {r['format']} | {method} | {fmt_s(raw['wall'])} | "
                         f"{fmt_s(raw.get('read', raw['total']))} | {fmt_s(raw['convert']) if raw.get('convert') else '-'} | "
                         f"{fmt_s(raw['insert']) if 'insert' in raw else '-'} | {fmt_rate(r['people'], raw['wall'])} | {gib(raw.get('tree_mib'))} |")
    elig = [r for r in results if any("eligible_cli" in c for c in r["cycles"])]
    if elig:
        lines += ["", f"Eligibility on {ELIGIBLE_ON} (`callup register eligible --on {ELIGIBLE_ON} --json`, policy "
                  "`examples/policies/republic-of-example.toml`), on the store just imported; the library call "
                  "`eligibility(ctx, version, on)` timed in one process (on SQLite it still spawns its bulk child per call):", "",
                  "| backend | rows | eligible | CLI, median | CLI min / max | library call, median | peak RSS largest, GiB | peak RSS tree, GiB |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for r in elig:
            c = next(c for c in r["cycles"] if "eligible_cli" in c)
            walls = [m["wall"] for m in c["eligible_cli"]]
            lines.append(f"| {r['backend']} | {r['people']:,} | {c['eligible_count']:,} | {fmt_s(med(walls))} | "
                         f"{fmt_s(min(walls))} / {fmt_s(max(walls))} | {fmt_s(med(c['eligible_lib']['times']))} | "
                         f"{gib(peak(c['eligible_cli'], 'maxrss_mib'))} | {gib(peak(c['eligible_cli'], 'tree_mib'))} |")
    lines += ["", targets(results)]
    return "\n".join(lines)


def targets(results: list[dict]) -> str:
    """One paragraph: the figures against the issue's targets, for the largest size measured."""
    biggest = max(r["people"] for r in results)
    at = [r for r in results if r["people"] == biggest]
    rates = {f"{r['backend']} {r['format']}": r["people"] / med([c["import"]["wall"] for c in r["cycles"]]) for r in at}
    trees = [c["import"]["tree_mib"] for r in at for c in r["cycles"]]
    parts = [f"Against the targets at {biggest:,} rows: import at least 300,000 rows/s end to end: "
             + ("met" if min(rates.values()) >= 300_000 else "not met") + " ("
             + ", ".join(f"{k} {v / 1000:,.0f}k/s" for k, v in rates.items()) + ")",
             f"peak memory of the import at most 2 GiB: {'met' if max(trees) <= 2048 else 'not met'} "
             f"(largest tree sum {max(trees) / 1024:.2f} GiB)"]
    for r in at:
        c = next((c for c in r["cycles"] if "eligible_cli" in c), None)
        if c:
            cli, lib = med([m["wall"] for m in c["eligible_cli"]]), med(c["eligible_lib"]["times"])
            parts.append(f"eligibility at most 3 s on {r['backend']}: {'met' if lib <= 3 else 'not met'} "
                         f"(library call {lib:.1f} s, command {cli:.1f} s)")
    return "; ".join(parts) + "."


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--formats", default="parquet,csv")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=3, help="runs of each import below --big")
    parser.add_argument("--big", type=int, default=5_000_000, help="sizes from this many rows get --big-runs runs")
    parser.add_argument("--big-runs", type=int, default=1)
    parser.add_argument("--eligibility-runs", type=int, default=3)
    parser.add_argument("--executemany-max", type=int, default=1_000_000, help="largest size for the sqlite3.executemany floor")
    parser.add_argument("--big-formats", default="parquet,csv", help="formats for the big sizes")
    parser.add_argument("--big-updated-formats", default="parquet", help="formats whose updated file is imported at the big sizes")
    parser.add_argument("--keep-big", action="store_true", help="keep the first big store per backend for bench_campaign.py")
    parser.add_argument("--results", type=pathlib.Path, default=BENCH_DIR / "register-results.json", help="raw figures as JSON")
    parser.add_argument("--no-write", action="store_true", help="do not touch BENCHMARKS.md")
    args = parser.parse_args()
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    results: list[dict] = []
    load: list[float] = []
    starts = {backend: startup(backend) for backend in args.backends.split(",")}

    def report() -> str:
        body = build_report(results, [min(load), max(load)] if load else [os.getloadavg()[0]] * 2, starts)
        if args.results:
            args.results.write_text(json.dumps(results, indent=1, default=str))
        if not args.no_write:
            from _report import write_section

            write_section("register", "Register import and eligibility", body)
        return body

    for people in [int(s) for s in args.sizes.split(",")]:
        big = people >= args.big
        formats = (args.big_formats if big else args.formats).split(",")
        for fmt in formats:
            register_file(people, fmt)
            with_updated = not big or fmt in args.big_updated_formats.split(",")
            if with_updated:
                updated_file(people, fmt)
            for backend in args.backends.split(","):
                runs = args.big_runs if big else args.runs
                entry = {"backend": backend, "people": people, "format": fmt, "cycles": [], "raw": {}}
                for i in range(runs):
                    log(f"{backend} {people:,} {fmt}: import cycle {i + 1}/{runs}")
                    # eligibility is the same whatever the file format: timed once per backend and size
                    first = i == 0 and fmt == formats[0]
                    entry["cycles"].append(run_import_cycle(
                        backend, people, fmt, eligibility_runs=args.eligibility_runs if first else 0,
                        updated=with_updated and i == 0, keep=args.keep_big and big and first))
                    load.append(os.getloadavg()[0])
                    log(f"  {json.dumps({k: round(v['wall'], 2) for k, v in entry['cycles'][-1].items() if isinstance(v, dict) and 'wall' in v})}")
                log(f"{backend} {people:,} {fmt}: raw floor")
                entry["raw"]["adbc"] = run_raw(backend, people, fmt, "adbc")
                if backend == "sqlite" and people <= args.executemany_max:
                    entry["raw"]["executemany"] = run_raw(backend, people, fmt, "executemany")
                results.append(entry)
                print(report(), flush=True)

if __name__ == "__main__":
    main()
