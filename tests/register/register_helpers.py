"""Helpers for register tests: small hand-written files and a snapshot of the people table."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import multiprocessing.connection
import os
import pathlib
import signal

from sqlalchemy import select

from callup.register.columns import COLUMNS
from callup.register.tables import Person
from callup_test_support import EXAMPLE_POLICY, make_context

TODAY = dt.date(2026, 4, 1)


def context_on(engine, today: dt.date = TODAY, *, policy: pathlib.Path = EXAMPLE_POLICY):  # noqa: ANN001, ANN201
    """A national administrator's context on `engine`'s store, its clock standing on `today`."""
    return make_context(engine.url.render_as_string(hide_password=False), now=today, policy=policy)


def row(national_id: str, **overrides: str) -> dict[str, str]:
    base = {
        "national_id": national_id, "family_name": "Novak", "given_names": "Adam", "date_of_birth": "2004-05-06",
        "sex": "M", "citizenship": "EXR", "region": "R01", "address": "1 Main St", "postcode": "01001",
        "civil_status": "alive", "email": "", "phone": "", "volunteer": "",
    }
    base.update(overrides)
    return base


#: The columns of the files most tests write: a register file without the optional language column.
FILE_COLUMNS = tuple(c for c in COLUMNS if c != "language")


def write_csv(path: pathlib.Path, rows: list[dict[str, str] | bytes], columns=FILE_COLUMNS) -> pathlib.Path:
    """Write rows (dicts, or raw bytes lines written as they are) with a header line."""
    lines = [",".join(columns).encode()]
    for r in rows:
        lines.append(r if isinstance(r, bytes) else ",".join(_quote(r[c]) for c in columns).encode("utf-8"))
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def _quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if ("," in value or '"' in value) else value


def people_snapshot(engine) -> list[tuple]:
    table = Person.__table__
    columns = [c for c in table.c if c.name != "import_id"]
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(*columns).order_by(table.c.national_id))]


def import_in_child(url: str, path: pathlib.Path, started) -> None:  # noqa: ANN001 - a multiprocessing Connection
    """Import `path` (run in a child process that the test kills); says so on `started` once a block is committed.

    The child leads a process group of its own, so that the test kills it with the bulk job it starts (on SQLite
    a further process, which otherwise could commit one more block before it noticed its caller gone)."""
    from callup.register.importer import import_register

    os.setpgrp()

    def advance(rows: int) -> None:
        if rows and not started.closed:
            started.send(rows)
            started.close()

    import_register(make_context(url, now=TODAY), path, advance=advance)


def kill_import_after_first_block(store_url: str, path: pathlib.Path, monkeypatch) -> None:  # noqa: ANN001 - pytest's monkeypatch
    """Import `path` in a child process and SIGKILL it (with its bulk job) as soon as it tells that its
    first block is committed: an event, not polling."""
    monkeypatch.setenv("CALLUP_IMPORT_BLOCK_BYTES", str(64 * 1024))
    spawn = multiprocessing.get_context("spawn")
    started, tell = spawn.Pipe(duplex=False)
    child = spawn.Process(target=import_in_child, args=(store_url, path, tell))
    child.start()
    tell.close()
    ready = multiprocessing.connection.wait([started, child.sentinel], timeout=120)
    assert started in ready and started.recv() > 0, f"the import should commit a first block (exit code {child.exitcode})"
    os.killpg(child.pid, signal.SIGKILL)
    child.join()
