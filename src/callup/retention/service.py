"""`retention apply`: erase personal data past its retention period under the policy in force.

What goes, for the policy version in force on the date `on` (`[versions.retention]`):

- the register records of people whose liability ended more than
  `register_years_after_liability` years before `on` (born on or before `on` less `until_age`
  plus those years), and of people recorded deceased or emigrated by an import that finished
  more than that many years before `on` -- except anyone in the pool of a campaign that is not
  closed yet, who is kept until it closes;
- their officers' notes;
- the link between them and their audit entries: the salt of their audit commitment
  (`callup.audit.tables.AuditSubject`). The entries stay, and the chain still verifies, but
  they name nobody any more.

It works in batches, one transaction each, audited by category and count (never by id), and is
idempotent: a second run on the same date finds nothing more. `dry_run` counts what would go
and changes nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import ClassVar

from sqlalchemy import and_, delete, exists, func, or_, select

from callup.audit import AuditEvent
from callup.audit.chain import erase_subjects
from callup.audit.tables import AuditSubject, PersonNote
from callup.campaigns.tables import Campaign, CampaignStatus, PoolEntry
from callup.context import Context, Role
from callup.register.eligibility import years_before
from callup.register.tables import CivilStatus, Import, Person
from callup.uow import UnitOfWork

BATCH = 2_000


@dataclasses.dataclass(frozen=True, kw_only=True)
class RetentionApplied(AuditEvent):
    """retention.apply: one batch of personal data past its retention period was erased (counts only)."""

    action: ClassVar[str] = "retention.apply"
    on: str
    policy_version: str
    people: int
    notes: int
    audit_subjects: int


@dataclasses.dataclass(frozen=True)
class Category:
    name: str
    rule: str
    due: int  # found past the period (in a dry run: what would go)
    erased: int  # erased by this run


@dataclasses.dataclass(frozen=True)
class RetentionReport:
    on: dt.date
    dry_run: bool
    policy_version: str
    categories: list[Category]
    batches: int


def _due_people(version, on: dt.date):  # noqa: ANN001, ANN202 - a Core SELECT of national ids
    people, imports, pool, campaigns = Person.__table__, Import.__table__, PoolEntry.__table__, Campaign.__table__
    years = version.retention.register_years_after_liability
    liability_over = years_before(on, version.conscription.until_age + years)
    left = dt.datetime.combine(years_before(on, years), dt.time(), tzinfo=dt.UTC)
    recorded_gone = and_(people.c.civil_status.in_([CivilStatus.deceased, CivilStatus.emigrated]),
                         people.c.import_id.in_(select(imports.c.id).where(imports.c.finished_at <= left)))
    in_open_campaign = exists(select(pool.c.national_id).join(campaigns, campaigns.c.id == pool.c.campaign_id).where(
        (pool.c.national_id == people.c.national_id) & (campaigns.c.status != CampaignStatus.closed)))
    return select(people.c.national_id).where(or_(people.c.date_of_birth <= liability_over, recorded_gone), ~in_open_campaign)


def apply_retention(ctx: Context, on: dt.date, *, dry_run: bool = False, batch: int = BATCH) -> RetentionReport:
    """Erase what is past its retention period on `on` (see the module docstring); `dry_run` only counts."""
    ctx.require(Role.administrator, Role.system, doing="applying retention")
    version = ctx.policy().in_force(on)
    years = version.retention.register_years_after_liability
    rules = {
        "register": f"people whose liability ended, or who were recorded deceased or emigrated, more than {years} years "
                    "before the date (not while in the pool of an open campaign)",
        "notes": "officers' notes about those people",
        "audit": "the salt linking those people to their audit entries (the entries stay, naming nobody)",
    }
    due_people = _due_people(version, on)
    notes, subjects = PersonNote.__table__, AuditSubject.__table__
    with UnitOfWork(ctx, write=False) as uow:
        due = uow.execute(select(func.count()).select_from(due_people.subquery())).scalar_one()
        due_notes = uow.execute(select(func.count()).where(notes.c.national_id.in_(due_people))).scalar_one()
        due_subjects = uow.execute(select(func.count()).where(subjects.c.national_id.in_(due_people))).scalar_one()
    erased = {"register": 0, "notes": 0, "audit": 0}
    batches = 0
    while not dry_run:
        with UnitOfWork(ctx) as uow:
            ids = list(uow.execute(due_people.order_by(Person.__table__.c.national_id).limit(batch)).scalars())
            if not ids:
                break
            people = uow.execute(delete(Person.__table__).where(Person.__table__.c.national_id.in_(ids))).rowcount
            gone_notes = uow.execute(delete(notes).where(notes.c.national_id.in_(ids))).rowcount
            gone_subjects = erase_subjects(uow.conn, ids)
            uow.record(RetentionApplied(target="retention:register", on=on.isoformat(), policy_version=version.version,
                                        people=people, notes=gone_notes, audit_subjects=gone_subjects))
        erased["register"] += people
        erased["notes"] += gone_notes
        erased["audit"] += gone_subjects
        batches += 1
    counts = {"register": due, "notes": due_notes, "audit": due_subjects}
    return RetentionReport(on=on, dry_run=dry_run, policy_version=version.version, batches=batches,
                           categories=[Category(name, rules[name], counts[name], erased[name]) for name in rules])
