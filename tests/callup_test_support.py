"""Constants and helpers shared by the test folders (a uniquely named module, importable from any of them)."""

from __future__ import annotations

import functools
import os
import pathlib
import uuid

import pytest
from sqlalchemy import create_engine, text

REPO = pathlib.Path(__file__).resolve().parents[1]
EXAMPLE_POLICY = REPO / "examples" / "policies" / "republic-of-example.toml"
NORTHLAND_POLICY = REPO / "examples" / "policies" / "kingdom-of-northland.toml"
LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _postgres_url() -> str | None:
    url = os.environ.get("CALLUP_TEST_POSTGRES_URL") or LOCAL_POSTGRES
    try:
        probe = create_engine(url, connect_args={"connect_timeout": 3})
        with probe.connect() as conn:
            conn.execute(text("SELECT 1"))
        probe.dispose()
        return url
    except Exception as exc:  # noqa: BLE001 - any failure means "no server"
        if os.environ.get("CI") or os.environ.get("CALLUP_TEST_POSTGRES_URL"):
            raise RuntimeError(f"PostgreSQL is required for the test suite here but {url} does not answer: {exc}") from exc
        return None


POSTGRES_URL = _postgres_url()
#: The stores a database test runs on; each run is marked `db` (and `postgres`), so `-m "not db"` leaves them out.
BACKENDS = [pytest.param("sqlite", marks=pytest.mark.db),
            pytest.param("postgres", marks=[pytest.mark.db, pytest.mark.postgres,
                                            pytest.mark.skipif(POSTGRES_URL is None, reason="no PostgreSQL server")])]


def make_store_url(backend: str, tmp_path: pathlib.Path, *, schema: str | None = None) -> tuple[str, callable]:
    """A URL for a new, empty store on `backend`, and a function that removes it."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'callup.db'}", lambda: None
    schema = schema or f"t_{uuid.uuid4().hex[:12]}"
    with _admin().begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    return _schema_url(schema), lambda: _drop_schema(schema)


@functools.cache
def _admin():  # noqa: ANN202 - an Engine
    """One engine per test process for making and dropping test schemas (a new engine and connection each time
    cost 20 ms, against 1 ms on a kept connection; a PostgreSQL test makes and drops one schema)."""
    return create_engine(POSTGRES_URL, pool_size=1, pool_pre_ping=True)


class StoreTemplates:
    """A migrated, empty store per backend, made once per test process; each test gets a copy of it.

    Migrating a store runs every Alembic migration (0.3-0.4 s on SQLite, about 1 s on PostgreSQL on
    a loaded 2-core machine); copying the migrated store takes a fraction of that. A copy is the
    store a migration would give: on SQLite the file is copied (sqlite3's backup), on PostgreSQL
    the template schema's dump (`pg_dump`: tables, indexes, constraints and the rows the migrations
    insert) is replayed into a new schema. Without `pg_dump` each PostgreSQL store is migrated.
    tests/store/test_store_templates.py checks that a copy equals a migrated store.
    """

    def __init__(self, root: pathlib.Path) -> None:
        self.root = root
        self._sqlite: pathlib.Path | None = None
        self._postgres_script: str | None = None
        self._postgres_failed = False

    def sqlite_template(self) -> pathlib.Path:
        if self._sqlite is None:
            from callup.store import open_store
            from callup.store.engine import connect

            path = self.root / "template.db"
            url = f"sqlite:///{path}"
            open_store(url)
            connect(url).dispose()  # no connection stays open on the file that is copied
            self._sqlite = path
        return self._sqlite

    def fill_sqlite(self, url: str) -> None:
        """Put a copy of the migrated store at `url` (a SQLite URL) when there is no store there yet."""
        import sqlite3

        from callup.store.urls import sqlite_file

        path = sqlite_file(url)
        if path is None or pathlib.Path(path).exists():
            return
        source, target = sqlite3.connect(self.sqlite_template()), sqlite3.connect(path)
        try:
            with target:
                source.backup(target)
        finally:
            source.close()
            target.close()

    def _postgres_template(self) -> str | None:
        """The SQL that makes the migrated schema, its name replaced by a marker; None without pg_dump."""
        if self._postgres_script is None and not self._postgres_failed:
            import subprocess

            from sqlalchemy.engine import make_url

            from callup.store import open_store
            from callup.store.engine import connect

            schema = f"callup_template_{uuid.uuid4().hex[:12]}"
            url, drop = make_store_url("postgres", self.root, schema=schema)
            try:
                open_store(url)
                connect(url).dispose()
                server = make_url(POSTGRES_URL)
                env = {**os.environ, **({"PGPASSWORD": server.password} if server.password else {})}
                args = ["pg_dump", "--schema", schema, "--inserts", "--no-owner", "--no-privileges",
                        "-h", server.host or "localhost", "-p", str(server.port or 5432), "-d", server.database or "postgres"]
                if server.username:
                    args += ["-U", server.username]
                done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
            except (OSError, subprocess.SubprocessError):
                done = None
            finally:
                drop()
            if done is None or done.returncode != 0:
                self._postgres_failed = True
            else:  # psql's meta-commands (\restrict) are not SQL
                lines = [line for line in done.stdout.splitlines() if not line.startswith("\\")]
                self._postgres_script = "\n".join(lines).replace(schema, "{schema}")
        return self._postgres_script

    def postgres_store(self, tmp_path: pathlib.Path) -> tuple[str, callable]:
        """A URL for a new PostgreSQL schema holding a copy of the migrated store, and a function that removes it."""
        script = self._postgres_template()
        if script is None:
            from callup.store import open_store

            url, drop = make_store_url("postgres", tmp_path)
            open_store(url)
            return url, drop
        import psycopg
        from sqlalchemy.engine import make_url

        schema = f"t_{uuid.uuid4().hex[:12]}"
        dsn = make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(dsn) as conn:  # one transaction; the dump makes the schema itself
            conn.execute("SET LOCAL synchronous_commit = off")  # a test's store need not survive a server crash
            conn.execute(script.replace("{schema}", schema))
        return _schema_url(schema), lambda: _drop_schema(schema)


def _schema_url(schema: str) -> str:
    sep = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"


def _drop_schema(schema: str) -> None:
    with _admin().begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def make_context(url: str, *, role: str = "administrator", name: str = "test-admin", regions: str | None = None,
                 person_id: str | None = None, policy: pathlib.Path = EXAMPLE_POLICY, now=None, random=None):  # noqa: ANN001
    """A Context on the store at `url`, with the keys of the test's environment and a fixed or system clock."""
    import datetime as dt

    from callup.context import Context, FixedClock, SystemClock, make_actor, secure_random
    from callup.crypto.keys import load_keyring

    actor = make_actor(name, role, regions=regions, person_id=person_id)
    clock = FixedClock(now if isinstance(now, dt.datetime) else dt.datetime.fromisoformat(f"{now}T09:00:00+00:00")) if now else SystemClock()
    return Context(actor=actor, database_url=url, clock=clock, random=random or secure_random, keys=load_keyring(os.environ),
                   policy_path=str(policy))


def run_cli(args: list[str], *, input: str | bytes | None = "", env: dict[str, str] | None = None) -> tuple[int, str, str, BaseException | None]:
    """Run the `callup` console entry point in this process: (exit code, stdout, stderr, uncaught exception).

    An uncaught exception is what the installed command would show as a traceback.
    """
    import sys

    from click.testing import CliRunner

    from callup import cli

    runner = CliRunner()
    uncaught = None
    with runner.isolation(input=input, env=env) as (out, err, _):
        argv = sys.argv
        sys.argv = ["callup", *args]
        try:
            cli.main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException as exc:  # noqa: BLE001 - a traceback of the real command
            code, uncaught = 1, exc
        finally:
            sys.argv = argv
            sys.stdout.flush()
            sys.stderr.flush()
        stdout, stderr = out.getvalue().decode("utf-8", "replace"), err.getvalue().decode("utf-8", "replace")
    return code, stdout, stderr, uncaught


def at_appointment(ctx, reference: str):  # noqa: ANN001, ANN201
    """`ctx` standing at the end of summons `reference`'s appointment, once the summons is delivered (published if
    need be, then acknowledged at the counter): when its appearance may be recorded."""
    import dataclasses
    import datetime as dt

    from callup.context import FixedClock
    from callup.notices import service as notices
    from callup.uow import UnitOfWork

    with UnitOfWork(ctx) as uow:
        view = notices.view(uow, reference)
        if view.status == "created":
            notices.publish_notices(uow, view.campaign)
        if view.status not in ("delivered", "acknowledged"):
            view = notices.acknowledge(uow, reference, evidence="acknowledged at the counter")
    end = dt.datetime.combine(view.date, view.end, tzinfo=dt.UTC)
    return dataclasses.replace(ctx, clock=FixedClock(max(end, ctx.now())))
