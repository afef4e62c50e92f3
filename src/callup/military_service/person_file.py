"""A person's file as the console shows it: the register record with every case, summons and service
record of the person in the actor's regions, in one view model (one audited read, with its reason).

Each part comes from its owner's public function, so the console's person page cannot disagree
with the case, summons and service record pages it links to.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import select

from callup.audit import PersonRead, person
from callup.cases.views import CaseLine, cases_of
from callup.context import Role
from callup.military_service.induction import RecordView, records_of, service_record
from callup.military_service.tables import ServiceStep
from callup.notices import service as notices
from callup.register.queries import get_person
from callup.uow import UnitOfWork

__all__ = ["PersonFile", "RecordFile", "StepView", "person_file", "record_file"]

STAFF = (Role.administrator, Role.officer, Role.medical, Role.auditor, Role.system)
steps = ServiceStep.__table__


@dataclasses.dataclass(frozen=True)
class PersonFile:
    record: dict[str, Any]  # the register record
    name: str  # given names and family name
    cases: list[CaseLine]  # newest first
    summonses: list[notices.SummonsView]  # newest first
    service: list[RecordView]  # newest first


def person_file(uow: UnitOfWork, national_id: str, *, reason: str) -> PersonFile:
    """The person's file; `NotFound` for a person outside the actor's regions (or none). The register
    record's read is audited with `reason`, and so is each summons and the list of cases shown."""
    uow.ctx.require(*STAFF, doing="reading a person's file")
    record = get_person(uow, national_id, reason=reason)
    national_id = record["national_id"]
    return PersonFile(record, f"{record['given_names']} {record['family_name']}", cases_of(uow, national_id, reason=reason),
                      notices.summonses_of(uow, national_id, where="person's file"), records_of(uow, national_id))


@dataclasses.dataclass(frozen=True)
class StepView:
    seq: int
    from_state: str
    step: str
    to_state: str
    unit: str | None
    at: dt.datetime
    actor: str
    role: str
    reason: str | None


@dataclasses.dataclass(frozen=True)
class RecordFile:
    record: RecordView
    name: str | None
    steps: list[StepView]


def record_file(uow: UnitOfWork, record_id: int, *, reason: str | None = None) -> RecordFile:
    """One service record with its steps and the person's name; `CaseNotFound` outside the actor's
    regions. The read is audited (a service record is part of the person's record)."""
    from callup.register.queries import name_and_birth_date

    uow.ctx.require(*STAFF, doing="reading a service record")
    view = service_record(uow, record_id)
    uow.record(PersonRead(target=person(view.national_id), reason=reason, view=f"service:{view.id}"))
    rows = uow.execute(select(steps).where(steps.c.record_id == view.id).order_by(steps.c.seq)).mappings()
    named = name_and_birth_date(uow, view.national_id)
    return RecordFile(view, named[0] if named else None,
                      [StepView(r["seq"], r["from_state"], r["step"], r["to_state"], r["unit"], r["at"], r["actor"], r["role"],
                                r["reason"]) for r in rows])
