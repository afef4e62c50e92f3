"""The unit of work: one connection, one transaction, and the audit entries made in it.

The edge (a command, a web request, a job) owns the transaction::

    with UnitOfWork(ctx) as uow:
        cases.decide_deferral(uow, case_id, ...)     # services never commit
        replacements.replace(uow, campaign, ...)     # several steps, one transaction

The block commits when it ends normally and rolls back on any exception, audit entries
included. `uow.record(event)` appends to the hash-chained audit log with the context's actor
and clock; `uow.now()` is the timestamp for rows, so a row and its audit entry agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from callup.context import Actor, Context

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

    from callup.audit.chain import ChainTail, Entry
    from callup.audit.events import AuditEvent


class UnitOfWork:
    """A transaction on the context's store; see the module docstring."""

    def __init__(self, ctx: Context, *, engine: Engine | None = None, write: bool = True) -> None:
        self.ctx = ctx
        self._engine = engine
        self._write = write
        self._block: Any = None
        self._keys: Any = None
        self.conn: Connection
        #: Facts that cannot change while this unit lasts (a campaign's name), kept so a service asks the
        #: store once per unit rather than once per call; keyed by the service that keeps them.
        self.memo: dict[str, dict[Any, Any]] = {}
        #: The audit chain's head as this unit left it: the head row is written once, before commit.
        self.audit_tail: ChainTail | None = None

    def __enter__(self) -> UnitOfWork:
        from callup.crypto.keys import use_keys

        engine = self._engine or self.ctx.engine()
        self.audit_tail = None
        self._keys = use_keys(self.ctx.keys)
        self._keys.__enter__()
        self._block = engine.begin() if self._write else _read_block(engine)
        try:
            self.conn = self._block.__enter__()
        except BaseException:
            self._keys.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            if exc[0] is None and self.audit_tail is not None:
                from callup.audit.chain import save_tail

                try:
                    save_tail(self.conn, self.audit_tail)
                except BaseException as failed:
                    self._block.__exit__(type(failed), failed, failed.__traceback__)
                    raise
            self._block.__exit__(*exc)
        finally:
            self._keys.__exit__(*exc)

    # -- what services use --------------------------------------------------------------
    @property
    def actor(self) -> Actor:
        return self.ctx.actor

    def now(self) -> dt.datetime:
        return self.ctx.now()

    def record(self, event: AuditEvent) -> Entry:
        """Append `event` to the audit log in this transaction, stamped with actor and time."""
        from callup.audit.chain import ChainTail, record

        if self.audit_tail is None:
            self.audit_tail = ChainTail()
            self._follow_savepoints()
        return record(self.conn, event, actor=self.ctx.actor, at=self.ctx.stamp(), tail=self.audit_tail)

    def will_name(self, national_ids: Iterable[str]) -> None:
        """Say that this unit's audit entries will name these people: their commitments are then looked up
        together, with the unit's first entry, and made together for those never named before, instead of one
        statement each (a bulk job's batch). Name only people it will name: each gets a commitment."""
        from callup.audit.chain import ChainTail

        if self.audit_tail is None:
            self.audit_tail = ChainTail()
            self._follow_savepoints()
        self.audit_tail.wanted.update(n.strip() for n in national_ids)

    def _follow_savepoints(self) -> None:
        """Keep the audit tail true across savepoints and reads: its entries and head are written before a
        savepoint begins (so rolling back to it restores that head) and read again after a rollback to one;
        its entries are written before a statement of this unit reads the log."""
        from sqlalchemy import event

        from callup.audit.chain import ChainTail, save_tail

        def begun(conn: Connection, name: str | None) -> None:
            if self.audit_tail is not None:
                save_tail(conn, self.audit_tail)

        def rolled_back(conn: Connection, name: str, context: Any) -> None:
            self.audit_tail = ChainTail()

        def reading(conn: Connection, cursor: Any, statement: str, *args: Any) -> None:
            if self.audit_tail is not None and self.audit_tail.pending and "audit_log" in statement:
                save_tail(conn, self.audit_tail)

        event.listen(self.conn, "savepoint", begun)
        event.listen(self.conn, "rollback_savepoint", rolled_back)
        event.listen(self.conn, "before_cursor_execute", reading)

    def execute(self, statement: Any, *args: Any) -> Any:
        return self.conn.execute(statement, *args)


def _read_block(engine: Engine) -> Any:
    """A read-only unit: a plain connection whose implicit transaction is rolled back at the end."""
    import contextlib

    @contextlib.contextmanager
    def block() -> Iterator[Connection]:
        with engine.connect() as conn:
            yield conn
            conn.rollback()

    return block()
