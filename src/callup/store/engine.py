"""Engines with the settings each backend needs for safe, fast bulk work."""

from __future__ import annotations

import contextlib
import functools
import sys
import threading
from collections.abc import Iterator

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from callup.errors import CallupError

DATABASE_URL_ENV = "CALLUP_DATABASE_URL"


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


class _SQLiteEngine(Engine):
    """An engine whose `begin()` blocks take SQLite's write lock up front (BEGIN IMMEDIATE).

    A deferred transaction that reads and then writes can fail with "database is locked" the
    moment another writer holds the lock, without waiting; an immediate one waits its turn.
    Plain `connect()` blocks (reads) stay deferred, so readers never queue behind writers.
    """

    @contextlib.contextmanager
    def begin(self) -> Iterator[Connection]:
        with self.connect() as conn:
            conn.execution_options(callup_write=True)
            with conn.begin():
                yield conn


def _sqlite_engine(url: str) -> Engine:
    # The stdlib driver opens transactions lazily and only before DML; take control so that a
    # `with engine.begin()` block is one real transaction (reads included), as on PostgreSQL.
    engine = create_engine(url, connect_args={"isolation_level": None, "timeout": 60})
    engine.__class__ = _SQLiteEngine

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):  # noqa: ANN001
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints; WAL keeps it consistent
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB page cache
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):  # noqa: ANN001
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("callup_write") else "BEGIN")

    return engine


#: The channel on which PostgreSQL tells the web workers what changed (migration 0033; web/session_marks.py).
CHANGES_CHANNEL = "callup_changes"


def send_change_notice(conn: Connection, payload: str) -> None:
    """Send `payload` to the web workers on the change channel; in a transaction, it goes out when that commits.
    Nothing on SQLite."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANGES_CHANNEL, "payload": payload})


def announce_everything_changed(conn: Connection) -> None:
    """Tell the web workers to forget what they remember of the store (a restore, an erasure), from within the
    transaction that changes it."""
    send_change_notice(conn, "*")


class _Commits:
    """How many transactions this process has committed to PostgreSQL (counted as each begins to commit)."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def add(self, *_: object) -> None:
        with self._lock:
            self.count += 1


_COMMITS = _Commits()


def local_commits() -> int:
    """Commits this process has made to PostgreSQL: a web worker's remembered sessions catch up with the
    store's notices after each (web/session_marks.py)."""
    return _COMMITS.count


def count_commit() -> None:
    """Count a commit made outside SQLAlchemy (the bulk path's)."""
    _COMMITS.add()


@functools.lru_cache(maxsize=8)
def connect(url: str) -> Engine:
    """An engine for `url`, created once per URL per process."""
    try:
        parsed = make_url(url)
    except Exception:
        raise CallupError(f"{DATABASE_URL_ENV}: not a database URL: {url!r}") from None
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            url = str(parsed.set(drivername="postgresql+psycopg"))
        engine = create_engine(url, pool_pre_ping=True)
        event.listen(engine, "commit", _COMMITS.add)
        return engine
    raise CallupError(f"{DATABASE_URL_ENV}: unsupported database {parsed.get_backend_name()!r} (use sqlite or postgresql)")


def disconnect(url: str) -> None:
    """Close every connection this process keeps to `url` (its engine's pool and the bulk path's idle ones), e.g.
    before the database is copied as a template or dropped: both are refused while a session is open on it."""
    connect(url).dispose()
    bulk = sys.modules.get("callup.store.bulk")  # not imported: it has opened nothing
    if bulk is not None:
        bulk.close_idle(url)
