"""Crash harness: SIGKILL every bulk operation at random points, re-run, compare with an uninterrupted run.

For each registered operation and each backend, the harness

1. runs the operation once without interruption on a fresh store and takes a snapshot of the
   final state (the reference);
2. for each trial: makes a fresh store and sets it up (on SQLite: copies the store file as the
   setup left it before the reference run), starts the operation's command in a process of its own
   (its own process group), kills the whole group with SIGKILL after a random delay (uniform between 0 and
   0.8x the reference duration), repeats that `--kills` times, then runs it to completion;
3. asserts the final snapshot equals the reference (no lost rows, no duplicates) and that the
   audit chain verifies.

Usage (the long version; the test suite runs a bounded one in tests/reliability):

    .venv/bin/python bench/crash_harness.py --trials 25 --kills 8 --backend sqlite --backend postgres

Adding an operation: write `setup(workdir, url)` (inputs and preconditions, in-process, through
the services with `context(url)`), `command(workdir) -> the arguments of callup` (run with
CALLUP_DATABASE_URL and CALLUP_NOW set, so every run sees the same day) and `snapshot(url) -> value`
(a comparable picture of the final state, without ids that legitimately differ between runs),
and call `register(Operation(...))` at the bottom of this file.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import pathlib
import random
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from typing import Any

REPO = pathlib.Path(__file__).resolve().parents[1]
EXAMPLE_POLICY = REPO / "examples" / "policies" / "republic-of-example.toml"
LOCAL_POSTGRES = os.environ.get("CALLUP_TEST_POSTGRES_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
#: The instant every setup and every command runs at (CALLUP_NOW), so all runs decide on the same day.
NOW = "2026-11-01T09:00:00Z"


@dataclasses.dataclass(frozen=True)
class Operation:
    name: str
    setup: Callable[[pathlib.Path, str], None]
    command: Callable[[pathlib.Path], list[str]]
    snapshot: Callable[[str], Any] | None
    env: dict[str, str] = dataclasses.field(default_factory=dict)
    workdir_snapshot: Callable[[pathlib.Path, str], Any] | None = None  # instead of `snapshot`: also sees files written
    #: A progress counter read from the store (e.g. rows committed): every other kill then lands
    #: just after it moved, at a commit boundary, instead of at a random time.
    progress: Callable[[str], int] | None = None
    #: What must hold after every kill, before anything resumes (a problem, or None).
    invariant: Callable[[str], str | None] | None = None
    #: The part of `setup` that prepares the working directory, run again before each trial (whose store is
    #: a copy of the one set up for the reference run); the files a setup writes otherwise stay as they are.
    workdir_setup: Callable[[pathlib.Path], None] | None = None

    def state(self, workdir: pathlib.Path, url: str) -> Any:
        return self.workdir_snapshot(workdir, url) if self.workdir_snapshot else self.snapshot(url)


OPERATIONS: dict[str, Operation] = {}


def register(operation: Operation) -> Operation:
    OPERATIONS[operation.name] = operation
    return operation


def context(url: str, *, random: Callable[[int], bytes] | None = None):  # noqa: ANN201 - callup.context.Context
    """The context the setups act in: the harness as administrator, at NOW, with the run's keys."""
    import datetime as dt

    from callup.context import Context, FixedClock, make_actor, secure_random
    from callup.crypto.keys import load_keyring

    return Context(actor=make_actor("crash-harness", "administrator"), database_url=url,
                   clock=FixedClock(dt.datetime.fromisoformat(NOW.replace("Z", "+00:00"))), random=random or secure_random,
                   keys=load_keyring(os.environ), policy_path=str(EXAMPLE_POLICY))


# -- stores ----------------------------------------------------------------------------------------

class Store:
    """A fresh, migrated store on one backend; `close()` removes it."""

    def __init__(self, backend: str, workdir: pathlib.Path, *, copy_of: Store | None = None) -> None:
        """A new store, migrated; with `copy_of` (SQLite only), a copy of that store instead."""
        from sqlalchemy import create_engine, text

        from callup.store import open_store

        self.backend, self._drop = backend, lambda: None
        if backend == "sqlite":
            self.url = f"sqlite:///{workdir / f'store-{uuid.uuid4().hex[:8]}.db'}"
            if copy_of is not None:
                _sqlite_copy(copy_of.url, self.url)
        else:
            schema = f"crash_{uuid.uuid4().hex[:12]}"
            admin = create_engine(LOCAL_POSTGRES)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            self.url = f"{LOCAL_POSTGRES}{'&' if '?' in LOCAL_POSTGRES else '?'}options=-csearch_path%3D{schema}"

            def drop() -> None:
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()

            self._drop = drop
        open_store(self.url)

    def close(self) -> None:
        from callup.store.engine import connect

        connect(self.url).dispose()
        self._drop()


def _sqlite_copy(source_url: str, target_url: str) -> None:
    import sqlite3

    from callup.store.urls import sqlite_file

    source, target = sqlite3.connect(sqlite_file(source_url)), sqlite3.connect(sqlite_file(target_url))
    try:
        with target:
            source.backup(target)
    finally:
        source.close()
        target.close()


# -- running ---------------------------------------------------------------------------------------

@dataclasses.dataclass
class Result:
    operation: str
    backend: str
    trials: int = 0
    kills: int = 0  # kills that hit a running process
    boundary_kills: int = 0  # of those, kills just after a commit boundary
    runs_finished_early: int = 0  # attempts that completed before their kill came
    failures: list[str] = dataclasses.field(default_factory=list)
    reference_seconds: float = 0.0
    rows: int = 0
    seconds: float = 0.0


#: The modules a command of an operation needs, imported once by the server its processes are forked from (with
#: this module, found by name when bench/ is on the path, as in the tests).
COMMAND_MODULES = ("callup.cli", "callup.register.commands", "callup.campaigns.commands", "callup.notices.commands",
                   "callup.retention.commands", "crash_harness")


def _preload_commands() -> None:
    """Name COMMAND_MODULES to the server, before a setup's bulk job on SQLite starts it (a server already running,
    started by an earlier test of the process, leaves each command process to import them)."""
    from callup.store import isolation

    isolation.preload(*COMMAND_MODULES)


class Run:
    """One run of an operation's command: `callup ARGS...` through the console entry point, in a process of its own.

    The process is forked from a server that imported the command line and the operation's modules once (the
    forkserver of callup.store.isolation, which SQLite's bulk jobs use too): a fresh interpreter spent about 0.7 s
    of CPU importing them before each run, most of the harness's time, while what is under test is the work
    after. On SQLite the command still starts a server of its own for its bulk job, as the installed command does.
    The process starts a session of its own, so a kill of its group also kills the bulk job it started.
    """

    def __init__(self, op: Operation, workdir: pathlib.Path, url: str) -> None:
        from callup.store import isolation

        env = {**os.environ, "CALLUP_DATABASE_URL": url, "CALLUP_NOW": NOW, **op.env}
        self.stderr = workdir / "command-stderr.txt"  # one run at a time: each starts it anew
        self.process = isolation.forkserver(*COMMAND_MODULES).Process(
            target=_run_command, args=(op.command(workdir), env, str(workdir), str(self.stderr)), name="callup-command")
        self.process.start()

    def poll(self) -> int | None:
        """The exit code, None while the command runs."""
        return self.process.exitcode

    def wait(self, timeout: float | None = None) -> bool:
        """Wait at most `timeout` seconds for the command to end; whether it has."""
        self.process.join(timeout)
        return self.process.exitcode is not None

    def kill(self) -> None:
        """SIGKILL the command's process group (or the process alone, before it has made its group)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.kill()
        self.process.join()

    def errors(self) -> str:
        return self.stderr.read_text(errors="replace")[-2000:] if self.stderr.exists() else ""


def _run_command(args: list[str], env: dict[str, str], cwd: str, stderr: str) -> None:
    """In the command's process: its own session, the run's environment and directory, stdout discarded, stderr
    to a file; then the console entry point, whose exit code becomes the process's."""
    os.setsid()
    for fd, target in ((1, os.devnull), (2, stderr)):
        opened = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(opened, fd)
        os.close(opened)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    sys.argv = ["callup", *args]
    from callup import cli

    cli.main()


def _finish(op: Operation, workdir: pathlib.Path, url: str) -> None:
    run = Run(op, workdir, url)
    if not run.wait(timeout=600):
        run.kill()
        raise RuntimeError(f"{op.name}: run to completion did not end within 600 s: {run.errors()}")
    if run.poll() != 0:
        raise RuntimeError(f"{op.name}: run to completion failed (exit {run.poll()}): {run.errors()}")


def _kill_after(run: Run, seconds: float) -> bool:
    """SIGKILL the run after `seconds`; False when it finished first."""
    if run.wait(timeout=seconds):
        return False
    run.kill()
    return True


def _kill_at_boundary(op: Operation, run: Run, url: str, *, moves: int, limit: float) -> bool:
    """SIGKILL the run as soon as the store's progress counter has moved `moves` times."""
    last, seen, deadline = op.progress(url), 0, time.monotonic() + limit
    while run.poll() is None and time.monotonic() < deadline:
        now = op.progress(url)
        if now != last:
            last, seen = now, seen + 1
            if seen >= moves:
                break
        time.sleep(0.005)
    if run.poll() is not None:
        return False
    run.kill()
    return True


def _audit_ok(url: str) -> str | None:
    from callup import audit
    from callup.store.engine import connect

    result = audit.verify(connect(url))
    return None if result.ok else result.problem


def crash_test(op: Operation, backend: str, *, trials: int, kills: int, seed: int, workdir: pathlib.Path,
               log: Callable[[str], None] = lambda s: None) -> Result:
    _preload_commands()
    rng = random.Random(seed)
    result = Result(op.name, backend)
    started = time.monotonic()
    store, set_up = Store(backend, workdir), None
    try:
        op.setup(workdir, store.url)
        # On SQLite each trial starts from a copy of the store as set up, instead of setting up again (a copy of the
        # file takes a fraction of a second; on PostgreSQL a schema's dump and replay cost about as much as the setup).
        if backend == "sqlite":
            set_up = Store(backend, workdir, copy_of=store)
        t0 = time.monotonic()
        _finish(op, workdir, store.url)
        result.reference_seconds = time.monotonic() - t0
        reference = op.state(workdir, store.url)
        result.rows = _size(reference)
        if problem := _audit_ok(store.url):
            raise RuntimeError(f"{op.name}: the uninterrupted run leaves a bad audit chain: {problem}")
    finally:
        store.close()
    try:
        _trials(op, backend, workdir, set_up, result, reference, rng, trials=trials, kills=kills, log=log)
    finally:
        if set_up is not None:
            set_up.close()
    result.seconds = time.monotonic() - started
    return result


def _trials(op: Operation, backend: str, workdir: pathlib.Path, set_up: Store | None, result: Result, reference: Any,
            rng: random.Random, *, trials: int, kills: int, log: Callable[[str], None]) -> None:
    for trial in range(trials):
        store = _fresh(op, backend, workdir, set_up)
        try:
            for k in range(kills):
                run = Run(op, workdir, store.url)
                if op.progress is not None and k % 2:
                    landed = _kill_at_boundary(op, run, store.url, moves=rng.randint(1, 3),
                                               limit=2 * result.reference_seconds + 5)
                    result.boundary_kills += landed
                else:
                    # Each rerun resumes with less work left than the run before, so the k-th kill of a trial
                    # comes within 1/(k+1) of the reference time; a fixed range let later runs finish first.
                    landed = _kill_after(run, rng.uniform(0, 0.8 * result.reference_seconds / (k + 1)))
                result.kills += landed
                result.runs_finished_early += not landed
                if landed and op.invariant is not None and (problem := op.invariant(store.url)):
                    result.failures.append(f"trial {trial}, kill {k + 1}: {problem}")
                if not landed and k < kills - 1:
                    # The run got to the end before its kill: check it as a trial's end, then let the kills
                    # left start again from the set-up store (on a finished one they would only find nothing
                    # to do, and a loaded machine made whole trials end without a kill at a commit).
                    _check_end(op, workdir, store.url, reference, result, f"trial {trial}, run {k + 1}")
                    store.close()
                    store = _fresh(op, backend, workdir, set_up)
            _finish(op, workdir, store.url)
            _check_end(op, workdir, store.url, reference, result, f"trial {trial}")
        finally:
            store.close()
        result.trials += 1
        log(f"{op.name} on {backend}: trial {trial + 1}/{trials}, {result.kills} kills so far, {len(result.failures)} failures")


def _fresh(op: Operation, backend: str, workdir: pathlib.Path, set_up: Store | None) -> Store:
    """A store as the operation's setup leaves it: a copy of `set_up` (SQLite), else set up anew."""
    store = Store(backend, workdir, copy_of=set_up)
    if set_up is None:
        op.setup(workdir, store.url)
    elif op.workdir_setup is not None:
        op.workdir_setup(workdir)
    return store


def _check_end(op: Operation, workdir: pathlib.Path, url: str, reference: Any, result: Result, where: str) -> None:
    """A finished run's state must be the uninterrupted run's, with an intact audit chain."""
    state = op.state(workdir, url)
    if state != reference:
        result.failures.append(f"{where}: final state differs from the uninterrupted run: {_diff(reference, state)}")
    if problem := _audit_ok(url):
        result.failures.append(f"{where}: audit chain: {problem}")


def _size(snapshot: Any) -> int:
    if isinstance(snapshot, dict):
        return sum(len(v) for v in snapshot.values() if isinstance(v, list))
    return len(snapshot) if hasattr(snapshot, "__len__") else 0


def _diff(a: Any, b: Any) -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        keys = [k for k in a if a.get(k) != b.get(k)]
        parts = []
        for k in keys:
            x, y = a.get(k), b.get(k)
            if isinstance(x, list) and isinstance(y, list):
                parts.append(f"{k}: {len(x)} vs {len(y)} items, {len(set(map(repr, x)) ^ set(map(repr, y)))} differ")
            else:
                parts.append(f"{k}: {x!r} vs {y!r}")
        return "; ".join(parts)
    return "values differ"


# -- operations ------------------------------------------------------------------------------------

IMPORT_PEOPLE = int(os.environ.get("CALLUP_CRASH_IMPORT_PEOPLE", 30_000))


def _import_setup(workdir: pathlib.Path, url: str) -> None:
    import datetime as dt

    from callup.policy import load_policy
    from callup.register.synth import synthesise

    path = workdir / f"register-{IMPORT_PEOPLE}.csv"
    if not path.exists():
        policy = load_policy(EXAMPLE_POLICY)
        synthesise(path, people=IMPORT_PEOPLE, seed=11, regions=policy.region_codes, citizenship="EXR",
                   on=dt.date.fromisoformat(NOW[:10]), bad_share=0.03)


def _import_command(workdir: pathlib.Path) -> list[str]:
    return ["register", "import", str(workdir / f"register-{IMPORT_PEOPLE}.csv"), "--policy", str(EXAMPLE_POLICY),
               "--rejects", str(workdir / "rejects.csv"), "--json"]


def _import_snapshot(url: str) -> dict[str, Any]:
    from sqlalchemy import text

    from callup.store.engine import connect

    with connect(url).connect() as conn:
        people = [tuple(str(v) for v in r) for r in conn.execute(text(
            "SELECT national_id, family_name, given_names, date_of_birth, sex, citizenship, region, address, postcode, "
            "email, phone, civil_status, volunteer FROM people ORDER BY national_id"))]
        rejects = sorted(tuple(r) for r in conn.execute(text('SELECT line, "column", reason FROM import_rejects')))
        imports = [tuple(r) for r in conn.execute(text(
            "SELECT status, rows_done, rows_imported, rows_rejected FROM imports ORDER BY id"))]
        # A resumed run records its resumption: how many there were depends on the kills.
        entries = [(r[0], {k: v for k, v in json.loads(r[1]).items() if k != "import_id"}) for r in conn.execute(text(
            "SELECT action, details FROM audit_log WHERE action <> 'register.import.resume' ORDER BY seq"))]
    return {"people": people, "rejects": rejects, "imports": imports, "audit": entries}


def _import_progress(url: str) -> int:
    from sqlalchemy import text

    from callup.store.engine import connect

    with connect(url).connect() as conn:
        return conn.execute(text("SELECT COALESCE(MAX(rows_done), 0) FROM imports")).scalar_one()


def _import_blocks_audited(url: str) -> str | None:
    """Every block an import committed has its audit entry, in the same transaction (checked after each kill)."""
    from sqlalchemy import text

    from callup.store.engine import connect

    with connect(url).connect() as conn:
        imports = conn.execute(text("SELECT id, rows_done, rows_imported, rows_rejected FROM imports")).all()
        blocks = [json.loads(r[0]) for r in conn.execute(text(
            "SELECT details FROM audit_log WHERE action = 'register.import.block' ORDER BY seq"))]
        started = {json.loads(r[0])["import_id"] for r in conn.execute(text(
            "SELECT details FROM audit_log WHERE action = 'register.import.start'"))}
        people = conn.execute(text("SELECT COUNT(*) FROM people")).scalar_one()
    for import_id, rows_done, imported, rejected in imports:
        mine = [b for b in blocks if b["import_id"] == import_id]
        audited = (max((b["to_row"] for b in mine), default=0), sum(b["rows_imported"] for b in mine),
                   sum(b["rows_rejected"] for b in mine))
        if import_id not in started:
            return f"import #{import_id} has no register.import.start entry"
        if audited != (rows_done, imported, rejected):
            return (f"import #{import_id} committed (rows done, imported, rejected) {(rows_done, imported, rejected)} "
                    f"but its block entries account for {audited}")
    if people != sum(r[2] for r in imports):
        return f"{people} people on the register but the imports account for {sum(r[2] for r in imports)}"
    return None


register(Operation("register.import", _import_setup, _import_command, _import_snapshot,
                   env={"CALLUP_IMPORT_BLOCK_BYTES": str(64 * 1024)}, progress=_import_progress,
                   invariant=_import_blocks_audited))


# -- campaign steps ---------------------------------------------------------------------------------
# Each starts from a register imported in setup; randomness that would differ between the
# reference run and a trial (the pseudonym key, the salt) is fixed in setup, so the end states
# are comparable.

CAMPAIGN_PEOPLE = int(os.environ.get("CALLUP_CRASH_CAMPAIGN_PEOPLE", 30_000))
CAMPAIGN = "crash-test"
WINDOW = ("2027-04-01", "2027-07-15")


def _campaign_register(workdir: pathlib.Path, url: str) -> None:
    import datetime as dt

    from callup.policy import load_policy
    from callup.register.importer import import_register
    from callup.register.synth import synthesise

    policy = load_policy(EXAMPLE_POLICY)
    path = workdir / f"campaign-register-{CAMPAIGN_PEOPLE}.csv"
    if not path.exists():
        synthesise(path, people=CAMPAIGN_PEOPLE, seed=5, regions=policy.region_codes, citizenship="EXR",
                   on=dt.date.fromisoformat(NOW[:10]))
    import_register(context(url), path)


def _campaign_to(state: str, workdir: pathlib.Path, url: str) -> None:
    """Set up the campaign up to `state` (created, committed or drawn) with fixed randomness."""
    import datetime as dt

    from callup.campaigns import service
    from callup.lottery import SeededRandom
    from callup.store.engine import connect
    from callup.uow import UnitOfWork

    _campaign_register(workdir, url)
    ctx = context(url, random=SeededRandom(b"crash harness"))
    window = tuple(dt.date.fromisoformat(d) for d in WINDOW)
    with UnitOfWork(ctx) as uow:
        service.create_campaign(uow, service.Decree(name=CAMPAIGN, window=window, quota=800, over_call="0.35"))
    if state == "created":
        return
    service.freeze_campaign(ctx, CAMPAIGN, key=bytes(32))
    service.commit_campaign(ctx, CAMPAIGN, beacon_source="round 1")
    if state == "drawn":
        service.draw_campaign(ctx, CAMPAIGN, beacon_value="beacon")
        _write_releases(workdir, connect(url))


def _write_releases(workdir: pathlib.Path, engine) -> None:  # noqa: ANN001
    from sqlalchemy import text

    with engine.connect() as conn:
        called = [r[0] for r in conn.execute(text("SELECT national_id FROM campaign_calls ORDER BY region, position"))]
    reasons = ["deferred", "exempted", "unfit", "left_pool"]
    with open(workdir / "releases.csv", "w", encoding="utf-8") as fh:
        fh.write("national_id,reason\n")
        for i, national_id in enumerate(called[::4]):
            fh.write(f"{national_id},{reasons[i % 4]}\n")


def _campaign_snapshot(url: str) -> dict[str, Any]:
    from sqlalchemy import text

    from callup.store.engine import connect

    with connect(url).connect() as conn:
        def rows(sql: str) -> list[tuple]:
            return [tuple(str(v) for v in r) for r in conn.execute(text(sql))]

        return {
            "campaign": rows("SELECT status, pool_size, seed, record FROM campaigns"),
            "regions": rows("SELECT region, pool, volunteers, quota, number FROM campaign_regions ORDER BY region"),
            # Pseudonyms come from a random key per freeze: compare who is in the pool, not their pseudonyms.
            "pool": rows("SELECT national_id, region, volunteer FROM campaign_pool ORDER BY national_id"),
            "order": rows("SELECT region, position, national_id, rank FROM campaign_order ORDER BY region, position"),
            "calls": rows("SELECT national_id, region, position, source, replaces, release_reason FROM campaign_calls "
                          "ORDER BY national_id"),
            # A person is named in the log by a commitment under a random per-person salt: compare the kind of target.
            "audit": [(r[0], r[1].split("#", 1)[0]) for r in conn.execute(text("SELECT action, target FROM audit_log ORDER BY seq"))
                      if r[0] != "register.import"],
        }


def _freeze_snapshot(url: str) -> dict[str, Any]:
    state = _campaign_snapshot(url)
    state["campaign"] = [(status, size) for status, size, _seed, _record in state["campaign"]]
    return state


register(Operation("campaign.freeze", lambda w, u: _campaign_to("created", w, u),
                   lambda w: ["campaign", "freeze", CAMPAIGN, "--policy", str(EXAMPLE_POLICY), "--json"], _freeze_snapshot))
register(Operation("campaign.draw", lambda w, u: _campaign_to("committed", w, u),
                   lambda w: ["campaign", "draw", CAMPAIGN, "--beacon", "beacon", "--json"], _campaign_snapshot))
register(Operation("campaign.replace", lambda w, u: _campaign_to("drawn", w, u),
                   lambda w: ["campaign", "replace", CAMPAIGN, "--file", str(w / "releases.csv"), "--json"], _campaign_snapshot))


# -- summonses -------------------------------------------------------------------------------------
# `notices issue` is one transaction; `notices print` commits batch by batch, claims held by its
# worker. A killed print must leave no batch skipped or printed twice, no half file, and one audit
# entry per printed batch. References are random: manifests are compared by the person each line is for.

OFFICES = REPO / "examples" / "offices" / "republic-of-example.csv"


def _no_letters(workdir: pathlib.Path) -> None:
    import shutil

    shutil.rmtree(workdir / "letters", ignore_errors=True)


def _issued(workdir: pathlib.Path, url: str) -> None:
    from callup.notices import service
    from callup.uow import UnitOfWork

    _campaign_to("drawn", workdir, url)
    _no_letters(workdir)
    with UnitOfWork(context(url)) as uow:
        service.issue_summonses(uow, CAMPAIGN, offices_path=OFFICES)


def _notices_snapshot(url: str) -> dict[str, Any]:
    from sqlalchemy import text

    from callup.store.engine import connect

    with connect(url).connect() as conn:
        def rows(sql: str) -> list[tuple]:
            return [tuple(str(v) for v in r) for r in conn.execute(text(sql))]

        return {
            "summonses": rows("SELECT national_id, region, office, date, start, status, printed_at, page FROM summonses "
                              "ORDER BY national_id"),
            "batches": rows("SELECT region, seq, letters, status, printed_at FROM notice_batches ORDER BY region, seq"),
            "audit": [(r[0], r[1].split("#", 1)[0]) for r in conn.execute(text("SELECT action, target FROM audit_log ORDER BY seq"))
                      if r[0] != "register.import"],
        }


def _print_snapshot(workdir: pathlib.Path, url: str) -> dict[str, Any]:
    from sqlalchemy import text

    from callup.store.engine import connect

    state = _notices_snapshot(url)
    with connect(url).connect() as conn:
        person = dict(conn.execute(text("SELECT reference, national_id FROM summonses")).all())
    out = workdir / "letters"
    state["files"] = sorted(p.name for p in out.iterdir()) if out.exists() else []
    state["manifests"] = [[(person.get(line.split(",")[0]), *line.split(",")[1:]) for line in p.read_text().splitlines()[1:]]
                          for p in sorted(out.glob("*.csv"))] if out.exists() else []
    return state


register(Operation("notices.issue", lambda w, u: _campaign_to("drawn", w, u),
                   lambda w: ["notices", "issue", CAMPAIGN, "--offices", str(OFFICES), "--json"], _notices_snapshot))
register(Operation("notices.print", _issued,
                   lambda w: ["notices", "print", CAMPAIGN, "--out", str(w / "letters"), "--json"], None,
                   workdir_snapshot=_print_snapshot, workdir_setup=_no_letters))


# -- retention --------------------------------------------------------------------------------------
# A drawn and closed campaign on the register; `retention apply` on a day long after everyone's
# liability ended erases them all, batch by batch.

RETENTION_DAY = "2070-01-01"


def _retention_setup(workdir: pathlib.Path, url: str) -> None:
    from callup.campaigns import service
    from callup.uow import UnitOfWork

    _campaign_to("drawn", workdir, url)
    with UnitOfWork(context(url)) as uow:
        service.close_campaign(uow, CAMPAIGN)


def _retention_snapshot(url: str) -> dict[str, Any]:
    from sqlalchemy import text

    from callup.store.engine import connect

    with connect(url).connect() as conn:
        def rows(sql: str) -> list[tuple]:
            return [tuple(str(v) for v in r) for r in conn.execute(text(sql))]

        # Tokens are random per run: compare where they stand, and that each names one person everywhere.
        return {
            "people": rows("SELECT COUNT(*) FROM people"),
            "pool": rows("SELECT region, pseudonym, national_id LIKE 'erased-%' FROM campaign_pool ORDER BY pseudonym"),
            "order": rows("SELECT o.region, o.position, o.rank, o.national_id LIKE 'erased-%', p.pseudonym FROM campaign_order o "
                          "JOIN campaign_pool p ON p.national_id = o.national_id ORDER BY o.region, o.position"),
            "calls": rows("SELECT c.region, c.position, p.pseudonym FROM campaign_calls c "
                          "JOIN campaign_pool p ON p.national_id = c.national_id ORDER BY c.region, c.position"),
            "subjects": rows("SELECT COUNT(*) FROM audit_subjects"),
            "audit": [(r[0], r[1]) for r in conn.execute(text(
                "SELECT action, details FROM audit_log WHERE action = 'retention.apply' ORDER BY seq"))],
        }


register(Operation("retention.apply", _retention_setup,
                   lambda w: ["retention", "apply", "--on", RETENTION_DAY, "--policy", str(EXAMPLE_POLICY), "--json"],
                   _retention_snapshot))


# -- command line ----------------------------------------------------------------------------------

def main() -> None:
    # One throw-away encryption key for the whole run, shared by setup and the killed commands.
    import base64
    import secrets

    os.environ.setdefault("CALLUP_KEYS", json.dumps({"current": "k-crash", "keys": {"k-crash": base64.b64encode(secrets.token_bytes(32)).decode()}}))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--operation", action="append", choices=sorted(OPERATIONS), help="default: all")
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgres"], help="default: both")
    parser.add_argument("--trials", type=int, default=25)
    parser.add_argument("--kills", type=int, default=8, help="kills per trial before the run to completion")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="callup-crash-") as tmp:
        for name in args.operation or sorted(OPERATIONS):
            for backend in args.backend or ["sqlite", "postgres"]:
                results.append(crash_test(OPERATIONS[name], backend, trials=args.trials, kills=args.kills, seed=args.seed,
                                          workdir=pathlib.Path(tmp), log=lambda s: print(s, file=sys.stderr)))
    if args.json:
        print(json.dumps([dataclasses.asdict(r) for r in results], indent=2))
    for r in results:
        print(f"{r.operation} on {r.backend}: {r.trials} trials, {r.kills} kills ({r.boundary_kills} at a commit boundary), "
              f"{r.runs_finished_early} runs finished "
              f"before their kill, {r.rows:,} rows in the final state, reference run {r.reference_seconds:.1f} s, "
              f"{len(r.failures)} failures, {r.seconds:.0f} s")
        for failure in r.failures:
            print("  " + failure)
    sys.exit(1 if any(r.failures for r in results) else 0)


if __name__ == "__main__":
    main()
