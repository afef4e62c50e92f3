"""Claims on print batches, owned by a live worker process.

A worker prints a batch only while it holds the batch's claim, a lock that lives exactly as long
as the worker: PostgreSQL: a session advisory lock on a connection of its own; SQLite: a POSIX
record lock on the batch's byte of a lock file next to the database. When the worker dies (killed,
out of memory, machine lost) the lock goes with it, so the next run takes the batch over at once
instead of waiting for a claim to grow old. Whether a batch still needs printing is its status;
this module only decides who may print it now.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator

from sqlalchemy import text
from sqlalchemy.engine import make_url

from callup.context import Context


@contextlib.contextmanager
def hold(ctx: Context, batch_id: int) -> Iterator[bool]:
    """Try to claim batch `batch_id` for this process; yields whether it got it (never waits).
    The claim is released when the block ends, or when the process dies."""
    if ctx.engine().dialect.name == "postgresql":
        from callup.store.engine import connect

        with connect(ctx.database_url).connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            key = {"name": f"{conn.execute(text('SELECT current_schema()')).scalar_one()}/notices.batch/{batch_id}"}
            got = conn.execute(text("SELECT pg_try_advisory_lock(hashtextextended(:name, 0))"), key).scalar_one()
            try:
                yield bool(got)
            finally:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(hashtextextended(:name, 0))"), key)
        return
    database = make_url(ctx.database_url).database or "memory"
    fd = os.open(f"{database}.print-claims.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:  # one byte per batch: one lock file serves every batch
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, batch_id)
        except OSError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # releases the record lock
