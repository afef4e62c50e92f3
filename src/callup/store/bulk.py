"""Bulk reads and writes of Arrow tables through ADBC, the same code path on both backends.

Moving millions of rows through Python objects costs more than the database itself (about 8 s
per million 13-column rows just to build the tuples), so bulk paths hand Arrow data to the
database's C driver: ADBC ingest (COPY on PostgreSQL, prepared inserts in C on SQLite) into a
temporary table, then one set-based statement. A `BulkSession` is one ADBC connection whose
`transaction()` blocks commit everything they did together, or nothing.

On SQLite a `BulkSession` must only be opened inside `isolation.run_bulk` (see there why).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import threading
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
from sqlalchemy import BigInteger, Boolean, Date, Integer, String, Text
from sqlalchemy.engine import make_url

from callup.store.engine import count_commit
from callup.store.registry import Base
from callup.store.urls import libpq_url


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _arrow_type(sql_type: object) -> pa.DataType | None:
    if isinstance(sql_type, BigInteger):
        return pa.int64()
    if isinstance(sql_type, Integer):
        return pa.int32()
    if isinstance(sql_type, Boolean):
        return pa.bool_()
    if isinstance(sql_type, Date):
        return pa.date32()
    if isinstance(sql_type, (String, Text)):
        return pa.string()
    return None


def conform(table_name: str, data: pa.Table) -> pa.Table:
    """Cast Arrow columns to the types of the table's columns (COPY is strict about widths)."""
    table = Base.metadata.tables[table_name]
    for i, name in enumerate(data.column_names):
        target = _arrow_type(table.c[name].type)
        if target is not None and data.schema.field(i).type != target:
            data = data.set_column(i, name, data.column(i).cast(target))
    return data


def _sqlite_datetime(value: dt.datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_timestamps(data: pa.Table) -> pa.Table:
    """Timestamp columns as the UTC text SQLAlchemy writes on SQLite."""
    import pyarrow.compute as pc

    for i, field in enumerate(data.schema):
        if pa.types.is_timestamp(field.type):
            column = data.column(i).cast(pa.timestamp("us", tz="UTC"))
            data = data.set_column(i, field.name, pc.strftime(column, format="%Y-%m-%d %H:%M:%S"))
    return data


class _IdleConnections:
    """ADBC PostgreSQL connections of this process kept open between bulk sessions, at most `LIMIT` in all.

    Opening one costs about 50 ms (the driver reads the server's catalogue of types), more than many bulk
    jobs take. A connection comes back reset (`DISCARD ALL`: no temporary tables, settings or locks left)
    and is checked before it is used again; one that fails either is closed and a new one opened. A forked
    child never uses or closes its parent's (that would end the parent's sessions); a child that ends
    through `os._exit`, as multiprocessing's do, never finalises them either.
    """

    LIMIT = 4

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[tuple[str, Any]] = []
        self._inherited: list[Any] = []  # a parent's connections: referenced, never used or closed here
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._inherited += [conn for _, conn in self._idle]
        self._idle = []
        self._lock = threading.Lock()

    def take(self, uri: str) -> Any | None:
        while True:
            with self._lock:
                found = next((i for i, (u, _) in enumerate(self._idle) if u == uri), None)
                if found is None:
                    return None
                conn = self._idle.pop(found)[1]
            try:
                with contextlib.closing(conn.cursor()) as cur:
                    cur.execute("SELECT 1")
                    cur.fetchall()
                return conn
            except Exception:  # noqa: BLE001 - the server ended it (restart, idle timeout): open another
                _close_quietly(conn)

    def give_back(self, uri: str, conn: Any) -> None:
        try:
            with contextlib.closing(conn.cursor()) as cur:
                cur.execute("DISCARD ALL")  # refused inside a transaction: such a connection is not kept
        except Exception:  # noqa: BLE001
            _close_quietly(conn)
            return
        with self._lock:
            self._idle.append((uri, conn))
            evicted = self._idle[:-self.LIMIT]
            del self._idle[:-self.LIMIT]
        for _, old in evicted:
            _close_quietly(old)

    def close(self, uri: str) -> None:
        with self._lock:
            closing = [conn for u, conn in self._idle if u == uri]
            self._idle = [(u, conn) for u, conn in self._idle if u != uri]
        for conn in closing:
            _close_quietly(conn)


def _libpq(url: str) -> str:
    """The libpq connection string of a PostgreSQL store's URL, written the same way whatever order its query has."""
    uri = libpq_url(make_url(url).render_as_string(hide_password=False))
    if uri is None:
        raise ValueError("not a PostgreSQL URL")
    return uri


def close_idle(url: str) -> None:
    """Close the idle bulk connections of this process to the PostgreSQL store at `url` (use `engine.disconnect`)."""
    if make_url(url).get_backend_name() == "postgresql":
        _idle.close(_libpq(url))


def _close_quietly(conn: Any) -> None:
    with contextlib.suppress(Exception):
        conn.close()


_idle = _IdleConnections()


class BulkSession:
    """An ADBC connection to the engine's database, for Arrow-native bulk work."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite":
            import adbc_driver_sqlite.dbapi as adbc_sqlite

            self.conn = adbc_sqlite.connect(parsed.database or ":memory:", autocommit=True)
            with contextlib.closing(self.conn.cursor()) as cur:
                cur.execute("PRAGMA busy_timeout=60000")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute("PRAGMA cache_size=-262144")
                cur.execute("PRAGMA temp_store=MEMORY")  # the staging tables
        elif self.dialect == "postgresql":
            import adbc_driver_postgresql.dbapi as adbc_postgresql

            self.uri = _libpq(url)
            self.conn = _idle.take(self.uri) or adbc_postgresql.connect(self.uri, autocommit=True)
        else:  # pragma: no cover - engine.connect() refuses other backends first
            raise ValueError(f"no bulk path for {self.dialect}")
        self.cur = self.conn.cursor()

    def close(self) -> None:
        self.cur.close()
        if self.dialect == "postgresql":
            _idle.give_back(self.uri, self.conn)
        else:
            self.conn.close()

    def __enter__(self) -> BulkSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[BulkSession]:
        self.cur.execute("BEGIN IMMEDIATE" if self.dialect == "sqlite" else "BEGIN")
        try:
            yield self
        except BaseException:
            self.cur.execute("ROLLBACK")
            raise
        self.cur.execute("COMMIT")
        if self.dialect == "postgresql":
            count_commit()

    def execute(self, sql: str, params: tuple | list | None = None) -> None:
        """Run one statement; write parameters as `?` on both backends.

        A datetime parameter is stored as SQLAlchemy stores it on SQLite (UTC text), so rows
        written in bulk read back like rows written by the ORM.
        """
        if self.dialect == "sqlite" and params:
            params = [_sqlite_datetime(p) if isinstance(p, dt.datetime) else p for p in params]
        if self.dialect == "postgresql" and params:
            parts = sql.split("?")
            sql = parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], start=1))
        self.cur.execute(sql, params or None)
        if self.dialect == "postgresql":
            count_commit()  # outside `transaction()` each statement commits (autocommit)

    def append(self, table_name: str, data: pa.Table) -> int:
        """Append rows to an existing table (columns by name, cast to the table's column types)."""
        if data.num_rows:
            data = conform(table_name, data)
            if self.dialect == "sqlite":
                data = _sqlite_timestamps(data)
            self.cur.adbc_ingest(table_name, data, mode="append")
        return data.num_rows

    def analyze(self, *table_names: str) -> None:
        """Refresh PostgreSQL's statistics of tables a bulk job has just filled (outside its transaction).

        Autovacuum would do it a minute or more later; until then the planner sees the tables as
        nearly empty, and the statements the services prepare keep a plan made for that (a join
        that scans the whole campaign for each row). SQLite keeps no statistics unless asked.
        """
        if self.dialect == "postgresql" and table_names:
            self.execute("ANALYZE " + ", ".join(_quote(t) for t in table_names))

    def upsert(self, table_name: str, key: str, data: pa.Table, *, constants: dict[str, object] | None = None) -> int:
        """Insert rows, replacing the given columns of rows whose `key` exists already.

        Columns absent from `data` keep their stored values on update; a row whose data columns
        are unchanged is not rewritten at all (so `constants`, e.g. the import id, mark the rows
        that last *changed*). Returns the number of rows given.
        """
        if data.num_rows == 0:
            return 0
        stage = f"_stage_{table_name}"
        # In key order, so the key index is filled from left to right rather than at random.
        self.cur.adbc_ingest(stage, data.sort_by(key), mode="replace", temporary=True)
        table = Base.metadata.tables[table_name]
        select_list = []
        for name in data.column_names:
            if self.dialect == "postgresql" and isinstance(table.c[name].type, Date):
                select_list.append(f"CAST({_quote(name)} AS DATE)")
            else:
                select_list.append(_quote(name))
        names = list(data.column_names)
        params = []
        for name, value in (constants or {}).items():
            names.append(name)
            select_list.append("?")
            params.append(value)
        cols = ", ".join(_quote(c) for c in names)
        updates = ", ".join(f"{_quote(c)} = excluded.{_quote(c)}" for c in names if c != key)
        differs = " IS DISTINCT FROM " if self.dialect == "postgresql" else " IS NOT "
        changed = " OR ".join(f"{_quote(table_name)}.{_quote(c)}{differs}excluded.{_quote(c)}"
                              for c in data.column_names if c != key)
        # "WHERE true" lets SQLite tell the upsert clause from a join condition.
        self.execute(
            f"INSERT INTO {_quote(table_name)} ({cols}) SELECT {', '.join(select_list)} FROM {_quote(stage)} WHERE true "
            f"ON CONFLICT ({_quote(key)}) DO UPDATE SET {updates} WHERE {changed}",
            params,
        )
        return data.num_rows

    def fetch_arrow(self, statement) -> pa.Table:  # noqa: ANN001 - a SQLAlchemy Core statement
        """Run a Core SELECT (its values inlined as literals) and return the rows as Arrow."""
        from sqlalchemy.dialects import postgresql, sqlite

        dialect = sqlite.dialect() if self.dialect == "sqlite" else postgresql.dialect()
        sql = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        self.cur.execute(sql)
        return self.cur.fetch_arrow_table()

    def fetch(self, sql: str, params: tuple | list | None = None) -> list[tuple]:
        """Run one statement with `?` parameters and return its rows as tuples (small results only)."""
        self.execute(sql, params)
        return [tuple(r) for r in self.cur.fetchall()]
