"""Finding people on the register (the console's and the API's search), always within the actor's regions; each search is audited."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import ClassVar

from sqlalchemy import func, select

from callup.audit import AuditEvent
from callup.context import Role
from callup.errors import InputError
from callup.register.tables import Person
from callup.uow import UnitOfWork

people = Person.__table__
STAFF = (Role.administrator, Role.officer, Role.medical, Role.auditor, Role.system)


@dataclasses.dataclass(frozen=True, kw_only=True)
class PeopleSearched(AuditEvent):
    """person.search: the register was searched (the query's kind and the number of people shown, not the query)."""

    action: ClassVar[str] = "person.search"
    by: str
    shown: int


@dataclasses.dataclass(frozen=True)
class PersonRow:
    national_id: str
    family_name: str
    given_names: str
    date_of_birth: dt.date
    region: str


def search(uow: UnitOfWork, text: str = "", *, region: str | None = None, after: str | None = None, limit: int = 50) -> list[PersonRow]:
    """People whose national id is `text`, or whose family name starts with it (any case), in the
    actor's regions (and `region`), ordered by national id after `after`; the search is audited."""
    uow.ctx.require(*STAFF, doing="searching the register")
    if not 1 <= limit <= 500:
        raise InputError("limit: between 1 and 500", field="limit")
    text = " ".join(text.split())[:128]
    query = select(people.c.national_id, people.c.family_name, people.c.given_names, people.c.date_of_birth, people.c.region)
    by = "all"
    if text:
        by = "name or id"
        query = query.where((people.c.national_id == text) | (func.lower(people.c.family_name).like(
            text.lower().replace("\\", "").replace("%", "").replace("_", "") + "%")))
    if region:
        query = query.where(people.c.region == region)
    scope = uow.ctx.region_filter(people.c.region)
    if scope is not None:
        query = query.where(scope)
    if after:
        query = query.where(people.c.national_id > after)
    rows = uow.execute(query.order_by(people.c.national_id).limit(limit)).all()
    if rows:
        uow.record(PeopleSearched(target="register", by=by, shown=len(rows)))
    return [PersonRow(*r) for r in rows]
