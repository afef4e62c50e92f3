"""Constants and helpers shared by the test folders (a uniquely named module, importable from any of them)."""

from __future__ import annotations

import functools
import os
import pathlib
import re
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
    return schema_url(schema), lambda: _drop_schema(schema)


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
        self._pool: SchemaPool | None = None

    def sqlite_template(self) -> pathlib.Path:
        if self._sqlite is None:
            from callup.store import open_store
            from callup.store.engine import disconnect

            path = self.root / "template.db"
            url = f"sqlite:///{path}"
            open_store(url)
            disconnect(url)  # no connection stays open on the file that is copied
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
            from callup.store.engine import disconnect

            schema = f"callup_template_{uuid.uuid4().hex[:12]}"
            url, drop = make_store_url("postgres", self.root, schema=schema)
            try:
                open_store(url)
                disconnect(url)
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
        """A URL for a new PostgreSQL schema holding a copy of the migrated store, and a function that removes it.

        The schema is new or one a finished test gave back, cleaned to what a new one holds (`SchemaPool`)."""
        script = self._postgres_template()
        if script is None:
            from callup.store import open_store

            url, drop = make_store_url("postgres", tmp_path)
            open_store(url)
            return url, drop
        if self._pool is None:
            self._pool = SchemaPool(script)
        schema, give_back = self._pool.take()
        return schema_url(schema), give_back

    def close(self) -> None:
        """Drop the schemas kept for reuse (at the end of the test process)."""
        if self._pool is not None:
            self._pool.close()


#: The relations of a schema: those that depend on it in pg_depend (tables, sequences, views; the catalogs' indexes
#: find them where a scan of pg_class by namespace reads the whole catalog) and the indexes of its tables.
_RELATIONS = """
WITH n AS (SELECT oid, nspowner, nspacl FROM pg_namespace WHERE nspname = %(schema)s::text),
top AS (SELECT d.classid, d.objid FROM n JOIN pg_depend d ON d.refclassid = 'pg_namespace'::regclass AND d.refobjid = n.oid),
tab AS (SELECT c.oid FROM top JOIN pg_class c ON top.classid = 'pg_class'::regclass AND c.oid = top.objid),
rel AS (SELECT c.* FROM pg_class c
         WHERE c.oid IN (SELECT oid FROM tab UNION ALL SELECT i.indexrelid FROM tab JOIN pg_index i ON i.indrelid = tab.oid))"""

#: A catalog summary of a schema's structure, taken when it is made and again when a test gives it back: the oids,
#: names and shapes of what is in it (relations, columns, defaults, constraints, indexes, triggers, rules, policies,
#: sequences, functions, types). Anything a test adds, drops, swaps (a restore), alters or disables changes it; rows,
#: statistics, a TRUNCATE (new files, same oids) and the schema's name do not.
_STRUCTURE = """md5(concat_ws('|',
  (SELECT concat_ws(',', nspowner, nspacl) FROM n),
  (SELECT string_agg(concat_ws(',', classid, objid), ';' ORDER BY classid, objid) FROM top),
  (SELECT string_agg(concat_ws(',', oid, relname, relkind, relnamespace = (SELECT oid FROM n), relnatts, relchecks,
                               relpersistence, relowner, reltype, reltoastrelid, relrowsecurity, relreplident, reloptions,
                               relacl), ';' ORDER BY oid) FROM rel),
  (SELECT string_agg(concat_ws(',', a.attrelid, a.attnum, a.attname, a.atttypid, a.atttypmod, a.attnotnull, a.atthasdef,
                               a.attisdropped, a.attidentity, a.attgenerated, a.attcollation, a.attstattarget), ';'
                     ORDER BY a.attrelid, a.attnum) FROM rel JOIN pg_attribute a ON a.attrelid = rel.oid AND a.attnum > 0),
  (SELECT string_agg(concat_ws(',', d.oid, d.adrelid, d.adnum), ';' ORDER BY d.oid)
     FROM rel JOIN pg_attrdef d ON d.adrelid = rel.oid),
  (SELECT string_agg(concat_ws(',', k.oid, k.conname, k.contype, k.convalidated, k.condeferrable, k.condeferred), ';'
                     ORDER BY k.oid) FROM rel JOIN pg_constraint k ON k.conrelid = rel.oid),
  (SELECT string_agg(concat_ws(',', i.indexrelid, i.indisvalid, i.indisready, i.indislive), ';' ORDER BY i.indexrelid)
     FROM rel JOIN pg_index i ON i.indrelid = rel.oid),
  (SELECT string_agg(concat_ws(',', t.oid, t.tgname, t.tgenabled), ';' ORDER BY t.oid)
     FROM rel JOIN pg_trigger t ON t.tgrelid = rel.oid),
  (SELECT string_agg(concat_ws(',', r.oid, r.ev_enabled), ';' ORDER BY r.oid)
     FROM rel JOIN pg_rewrite r ON r.ev_class = rel.oid),
  (SELECT string_agg(concat_ws(',', p.oid, p.polname), ';' ORDER BY p.oid) FROM rel JOIN pg_policy p ON p.polrelid = rel.oid),
  (SELECT string_agg(x.oid::text, ';' ORDER BY x.oid) FROM rel JOIN pg_statistic_ext x ON x.stxrelid = rel.oid),
  (SELECT string_agg(concat_ws(',', s.seqrelid, s.seqtypid, s.seqstart, s.seqincrement, s.seqmax, s.seqmin, s.seqcache,
                               s.seqcycle), ';' ORDER BY s.seqrelid) FROM rel JOIN pg_sequence s ON s.seqrelid = rel.oid),
  (SELECT string_agg(concat_ws(',', f.oid, f.proname, f.proowner, md5(f.prosrc), f.proconfig, f.proacl), ';' ORDER BY f.oid)
     FROM top JOIN pg_proc f ON top.classid = 'pg_proc'::regclass AND f.oid = top.objid)))"""

#: What a test leaves in a schema's tables and indexes besides their structure: each one's oid, size on disk and the
#: statistics the planner reads in pg_class (a new schema's empty tables have no pages and reltuples -1).
_SIZES = """(SELECT json_object_agg(relname, json_build_array(relkind, oid, pg_relation_size(oid), reltuples, relpages,
                                                   relallvisible)) FROM rel WHERE relkind IN ('r', 'i'))"""

#: A table's rows, to compare with those the migrations write.
_ROWS = "SELECT json_agg(t ORDER BY t::text)::text FROM {table} t"

#: Whether a column of the schema has statistics (pg_stats shows a user those of the tables they may read).
_STATISTICS = "EXISTS (SELECT FROM rel, LATERAL (SELECT FROM pg_statistic s WHERE s.starelid = rel.oid LIMIT 1) x)"
_STATISTICS_SEEN = "EXISTS (SELECT FROM rel JOIN pg_stats s ON s.schemaname = %(schema)s::text AND s.tablename = rel.relname)"


class SchemaPool:
    """PostgreSQL test schemas made from the template's dump, given back by the tests to be cleaned and used again.

    Making a schema from the dump and dropping it afterwards cost a PostgreSQL test about a quarter of a second, and
    leave thousands of dead catalog rows (which slow every later catalog lookup while nothing vacuums them); cleaning
    the schema a test used costs a few hundredths. A schema given back is checked and cleaned in one transaction:

    - its structure (`_STRUCTURE`) must be the one it had when made, else it is dropped: a restore swaps tables, a
      migration or a test changes them;
    - each table not as in a new schema (its size on disk, its planner statistics: `_SIZES`; the rows of the tables
      the migrations fill) is emptied, and those rows are written again. A small table (under 10 pages: the planner
      takes a table never analysed for 10 pages, as it does a new empty one) by DELETE with session_replication_role
      = replica, so that no trigger fires (neither the foreign keys nor the session marks' notices); a larger one, and
      the tables that refer to it, by TRUNCATE (there are no TRUNCATE triggers). A TRUNCATE costs some milliseconds a
      table (new files, catalog rows), a DELETE of a few rows far less;
    - each sequence that handed out a number starts again (`setval(seq, start, false)`, as the dump leaves it); the
      columns' statistics go; the tables' and indexes' planner statistics in pg_class are those of a new schema again
      (an ANALYZE or a bulk job's, -1 rows after a TRUNCATE where a new index says 0 rows and 1 page); the emptied
      tables' activity counters start again;
    - the schema gets a new name: the next test's URL is one no engine or cache of this process has seen, and a
      connection the last test left open (search_path by name) no longer finds it, as if it had been dropped.

    Cleaning first locks every table against writes, waiting at most `LOCK_WAIT`: a connection still in a transaction
    that wrote to the schema (or locked it) means the schema is dropped instead (waiting, as before); a write that
    comes while the schema is cleaned waits, then no longer finds its table under the old name. Without superuser
    rights (session_replication_role, pg_statistic and pg_class are a superuser's) tables are only TRUNCATEd, the
    migrations' tables reindexed after their rows are written (as in the dump, an index build sets the table's
    statistics), the indexes of emptied tables keep -1 rows, and a schema with column statistics is dropped. At most
    `KEPT` clean schemas wait for a test; others are dropped.
    tests/store/test_schema_pool.py checks that a reused schema is like a new one.
    """

    KEPT = 2
    LOCK_WAIT = "500ms"
    SMALL = 10 * 8192

    def __init__(self, script: str) -> None:
        self.script = script
        self.idle: list[tuple[str, str]] = []  # (schema, its structure when made)
        self.lent: set[str] = set()  # the schemas handed out and not given back
        self.fresh: dict | None = None  # each table's size and statistics in a new schema (empty: never reuse)
        self.rows: dict[str, str] = {}  # the tables the migrations fill: their rows in a new schema
        self.inserts: dict[str, list[str]] = {}  # ... and the dump's statements that write them
        self.referencing: dict[str, set[str]] = {}  # table -> the tables with a foreign key to it
        self.superuser = False
        self._conn = None
        for statement, table in re.findall(r"^(INSERT INTO \{schema\}\.(\w+) VALUES .*?\);)$", script, re.M | re.S):
            self.inserts.setdefault(table, []).append(statement.removesuffix(";"))

    def connection(self):  # noqa: ANN201 - a psycopg connection
        """One connection per test process for making and cleaning schemas, in autocommit (each use is a transaction)."""
        if self._conn is None or self._conn.closed or self._conn.broken:
            import psycopg

            from callup.store.urls import libpq_url

            self._conn = psycopg.connect(libpq_url(POSTGRES_URL), autocommit=True)
            self.superuser = self._conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]
        return self._conn

    def take(self) -> tuple[str, callable]:
        """A clean schema's name and the function that gives it back."""
        schema, structure = self.idle.pop() if self.idle else self._make()
        self.lent.add(schema)
        return schema, functools.partial(self.give_back, schema, structure)

    def _make(self) -> tuple[str, str]:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        conn = self.connection()
        with conn.transaction():  # the dump makes the schema itself
            conn.execute("SET LOCAL synchronous_commit = off")  # a test's store need not survive a server crash
            conn.execute(self.script.replace("{schema}", schema))
            structure = conn.execute(f"{_RELATIONS} SELECT {_STRUCTURE}", {"schema": schema}).fetchone()[0]
        conn.execute("RESET ALL")  # the dump's settings (an empty search_path) outlive its transaction
        if self.fresh is None:
            self._learn(schema)
        return schema, structure

    def _learn(self, schema: str) -> None:
        """What a new schema holds, read from the first one made."""
        conn = self.connection()
        sizes = conn.execute(f"{_RELATIONS} SELECT {_SIZES}", {"schema": schema}).fetchone()[0]
        filled = {name for name, (kind, _, size, *_) in sizes.items() if kind == "r" and size}
        if filled != set(self.inserts):  # rows the dump's INSERTs do not account for: make every schema anew
            self.fresh = {}
            return
        self.rows = {name: conn.execute(_ROWS.format(table=f'"{schema}"."{name}"')).fetchone()[0] for name in filled}
        for referencing, referenced in conn.execute(
                "SELECT k.conrelid::regclass::text, k.confrelid::regclass::text FROM pg_constraint k"
                " WHERE k.contype = 'f' AND k.connamespace = %(schema)s::text::regnamespace", {"schema": schema}):
            self.referencing.setdefault(_bare(referenced), set()).add(_bare(referencing))
        self.fresh = {name: [kind, *rest] for name, (kind, _, *rest) in sizes.items()}

    def give_back(self, schema: str, structure: str) -> None:
        """Clean `schema` and keep it for a later test, or drop it when it cannot be reused."""
        import psycopg

        self.lent.discard(schema)
        renamed = None
        if self.fresh:
            try:
                renamed = self._clean(schema, structure)
            except psycopg.Error:  # a lock not granted in time, a table gone: drop it
                renamed = None
        if renamed is not None and len(self.idle) < self.KEPT:
            self.idle.append((renamed, structure))
        else:
            _drop_schema(renamed or schema)

    def _clean(self, schema: str, structure: str) -> str | None:
        """Bring `schema` back to what a new one holds, under a new name (returned); None, changing nothing, if it
        cannot be."""
        conn = self.connection()
        with conn.transaction():
            tables = ", ".join(f'"{schema}"."{name}"' for name, (kind, *_) in self.fresh.items() if kind == "r")
            conn.execute(f"SET LOCAL lock_timeout = '{self.LOCK_WAIT}'; SET LOCAL synchronous_commit = off;"
                         f" LOCK TABLE {tables} IN SHARE MODE")  # no write in flight, none until the schema is renamed
            statistics = _STATISTICS if self.superuser else _STATISTICS_SEEN
            rows = "".join(", (" + _ROWS.format(table=f'"{schema}"."{name}"') + ")" for name in self.rows)
            now, sizes, oids, has_statistics, *filled = conn.execute(
                f"{_RELATIONS} SELECT {_STRUCTURE}, {_SIZES}, ARRAY(SELECT oid FROM rel), {statistics}{rows}",
                {"schema": schema}).fetchone()
            if now != structure or sizes.keys() != self.fresh.keys() or (has_statistics and not self.superuser):
                return None
            state = {name: [kind, *rest] for name, (kind, _, *rest) in sizes.items()}
            dirty = {name for name, got in state.items() if got[0] == "r" and got != self.fresh[name]}
            dirty |= {name for name, got in zip(self.rows, filled, strict=True) if got != self.rows[name]}
            deleted = {name for name in dirty if state[name][1] < self.SMALL} if self.superuser else set()
            emptied, todo = set(), list(dirty - deleted)
            while todo:  # TRUNCATE must empty the tables that refer to one it empties
                name = todo.pop()
                if name not in emptied:
                    emptied.add(name)
                    todo.extend(self.referencing.get(name, ()))
            deleted -= emptied
            statements, relations = [], f"ARRAY[{','.join(map(str, oids))}]::oid[]"
            if deleted:
                statements.append("SET LOCAL session_replication_role = replica")
                statements += [f'DELETE FROM "{schema}"."{name}"' for name in sorted(deleted)]
            if emptied:
                statements.append("TRUNCATE " + ", ".join(f'"{schema}"."{name}"' for name in sorted(emptied)))
            for table in sorted(set(self.inserts) & (emptied | deleted)):
                statements += [insert.replace("{schema}", f'"{schema}"') for insert in self.inserts[table]]
                if not self.superuser:  # an index build gives the table the planner statistics the dump leaves
                    statements.append(f'REINDEX TABLE "{schema}"."{table}"')
            statements.append("SELECT count(setval(seqrelid, seqstart, false)) FROM pg_sequence"
                              f" WHERE seqrelid = ANY({relations}) AND pg_sequence_last_value(seqrelid) IS NOT NULL")
            if has_statistics:
                statements.append(f"DELETE FROM pg_statistic WHERE starelid = ANY({relations})")
            if self.superuser and (dirty or any(got[2:] != self.fresh[name][2:] for name, got in state.items())):
                planned = ", ".join(f"({sizes[name][1]}, {float(t)}::real, {p}, {a})"
                                    for name, (_, _, t, p, a) in self.fresh.items())
                statements.append("UPDATE pg_class c SET reltuples = v.t, relpages = v.p, relallvisible = v.a"
                                  f" FROM (VALUES {planned}) v(oid, t, p, a) WHERE c.oid = v.oid::oid"
                                  " AND (c.reltuples, c.relpages, c.relallvisible) IS DISTINCT FROM (v.t, v.p, v.a)")
                statements += [f"SELECT pg_stat_reset_single_table_counters({sizes[name][1]}::oid)"
                               for name in sorted(emptied | deleted)]
            renamed = f"t_{uuid.uuid4().hex[:12]}"
            statements.append(f'ALTER SCHEMA "{schema}" RENAME TO "{renamed}"')
            conn.execute(";\n".join(statements))
        return renamed

    def close(self) -> None:
        """Drop the schemas kept for reuse, and any a test did not give back."""
        for schema in [schema for schema, _ in self.idle] + sorted(self.lent):
            with _admin().begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        self.idle, self.lent = [], set()
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _bare(name: str) -> str:
    """A table's name without its schema and quotes, as regclass prints it."""
    return name.rsplit(".", 1)[-1].strip('"')


def schema_options(schema: str) -> str:
    """The URL query that puts a test's connections in `schema`, with commits that do not wait for the disk: a test
    store need not survive a crash of the server (the crash tests kill clients, never the server), and waiting
    for each commit's flush cost a tenth of the PostgreSQL tests' time."""
    return f"options=-csynchronous_commit%3Doff%20-csearch_path%3D{schema}"


def schema_url(schema: str, base: str | None = None) -> str:
    """The URL of `schema` on the test server (or in the database `base` names), with `schema_options`."""
    base = base or POSTGRES_URL
    return f"{base}{'&' if '?' in base else '?'}{schema_options(schema)}"


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
