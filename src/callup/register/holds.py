"""Holds: decisions of other features that keep a person out of every pool, kept by the register.

Case work (a deferral, an exemption, a finding of unfitness, civilian service) and the military
service (an induction) sit above the register, so they tell it here, in the decision's unit of
work, instead of the register's eligibility reading their tables. Each hold is named by its source
(`case 12`, `induction 3`) so that a later step of the same decision replaces or lifts it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import Table, delete, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from callup.register.tables import PoolHold
from callup.uow import UnitOfWork

__all__ = ["held_on", "hold", "lift"]

holds = cast(Table, PoolHold.__table__)


def _upsert(insert_of: Any) -> Any:
    statement = insert_of(holds)
    return statement.on_conflict_do_update(index_elements=[holds.c.national_id, holds.c.source],
                                           set_={"until": statement.excluded.until})


# Built once per backend: a hold is written at many steps of a case.
_UPSERT = {"postgresql": _upsert(postgresql_insert), "sqlite": _upsert(sqlite_insert)}


def hold(uow: UnitOfWork, national_id: str, source: str, *, until: dt.date | None = None) -> None:
    """Keep the person out of every pool because of `source`: for good, or up to and including `until`
    (replacing what `source` said before)."""
    hold_all(uow, [(national_id, source, until)])


def hold_all(uow: UnitOfWork, held: list[tuple[str, str, dt.date | None]]) -> None:
    """`hold` for each (national id, source, until) of `held`, in one statement."""
    if held:
        uow.execute(_UPSERT[uow.conn.dialect.name], [{"national_id": n, "source": s, "until": u} for n, s, u in held])


def lift(uow: UnitOfWork, national_id: str, source: str) -> None:
    """`source` no longer keeps the person out (nothing when it did not)."""
    uow.execute(delete(holds).where(holds.c.national_id == national_id, holds.c.source == source))


def held_on(on: dt.date) -> Any:  # a Core SELECT of national_id
    """SELECT national_id of everyone a hold keeps out of the pool on `on`."""
    return select(holds.c.national_id).where(or_(holds.c.until.is_(None), holds.c.until >= on))
