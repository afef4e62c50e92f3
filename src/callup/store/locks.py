"""Operation locks: at most one run of a long operation (an import, a draw) per store at a time.

A bulk operation commits in many transactions, so transaction isolation alone does not stop a
second run from interleaving with the first. `operation_lock` takes a lock for the whole run:
PostgreSQL: a session advisory lock on the BulkSession's connection; SQLite: an exclusive
`flock` on a file next to the database. Both vanish with the process, so a killed run never
leaves a stale lock. A second run gets `OperationRunning` at once (exit code 4).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator

from callup.errors import StateError


class OperationRunning(StateError):
    """The same operation is already running on this store in another process."""


def _key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextlib.contextmanager
def operation_lock(url: str, bulk, name: str) -> Iterator[None]:  # noqa: ANN001 - a BulkSession on `url`
    """Hold the lock `name` (e.g. "register.import") on the store at `url` for the duration of the block."""
    message = f"{name} is already running on this store in another process; wait for it to finish, then run again"
    if bulk.dialect == "postgresql":
        # On a connection of its own, so no failed statement of the job can keep it from being released.
        from sqlalchemy import text

        from callup.store.engine import connect

        with connect(url).connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            key = _key(conn.execute(text("SELECT current_database() || '/' || current_schema()")).scalar_one() + "/" + name)
            if not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar_one():
                raise OperationRunning(message)
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        return
    import fcntl

    from sqlalchemy.engine import make_url

    database = make_url(url).database or "memory"
    path = f"{database}.{name}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OperationRunning(message) from None
        yield
    finally:
        os.close(fd)
