"""Read-side queries of the register: counts and one person's record."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import Engine, func, select

from callup import audit
from callup.errors import NotFound
from callup.store.tables import Import, Person

people = Person.__table__
imports = Import.__table__


@dataclasses.dataclass(frozen=True)
class RegisterStats:
    people: int
    by_civil_status: dict[str, int]
    by_sex: dict[str, int]
    by_region: dict[str, int]
    volunteers: int
    imports: list[dict[str, Any]]


def register_stats(engine: Engine) -> RegisterStats:
    with engine.connect() as conn:
        by_status = dict(conn.execute(select(people.c.civil_status, func.count()).group_by(people.c.civil_status)).all())
        by_sex = dict(conn.execute(select(people.c.sex, func.count()).group_by(people.c.sex)).all())
        by_region = dict(conn.execute(select(people.c.region, func.count()).group_by(people.c.region).order_by(people.c.region)).all())
        volunteers = conn.execute(select(func.count()).where(people.c.volunteer.is_(True))).scalar_one()
        recent = conn.execute(select(imports).order_by(imports.c.id.desc()).limit(10)).mappings().all()
    return RegisterStats(
        people=sum(by_status.values()),
        by_civil_status={getattr(k, "value", k): v for k, v in by_status.items()},
        by_sex=by_sex, by_region=by_region, volunteers=volunteers,
        imports=[{"id": r["id"], "source": r["source"], "status": getattr(r["status"], "value", r["status"]),
                  "started_at": r["started_at"], "finished_at": r["finished_at"], "rows_imported": r["rows_imported"],
                  "rows_rejected": r["rows_rejected"]} for r in recent],
    )


def get_person(engine: Engine, national_id: str, *, reason: str | None = None, actor: audit.Actor | None = None) -> dict[str, Any]:
    """One person's register record, its reading recorded in the audit log; raises `NotFound`."""
    with engine.begin() as conn:
        row = conn.execute(select(people).where(people.c.national_id == national_id.strip())).mappings().first()
        if row is not None:
            audit.record(conn, audit.PersonRead(target=audit.person(national_id), reason=reason), actor=actor)
    if row is None:
        raise NotFound(f"no person with national id {national_id!r} on the register")
    return {k: getattr(v, "value", v) for k, v in row.items()}
