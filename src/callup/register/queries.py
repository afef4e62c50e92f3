"""Read-side queries of the register: counts and one person's record."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import Select, Table, func, select, update

from callup.audit import PersonRead, person
from callup.context import Role
from callup.errors import NotFound
from callup.register.tables import CivilStatus, Import, Person
from callup.store.columns import enum_value
from callup.uow import UnitOfWork

people = cast(Table, Person.__table__)
imports = cast(Table, Import.__table__)


@dataclasses.dataclass(frozen=True)
class RegisterStats:
    people: int
    by_civil_status: dict[str, int]
    by_sex: dict[str, int]
    by_region: dict[str, int]
    volunteers: int
    imports: list[dict[str, Any]]


def register_stats(uow: UnitOfWork) -> RegisterStats:
    """Counts of the register (a regional actor's regions only) and the ten latest imports."""
    uow.ctx.require(Role.administrator, Role.officer, Role.medical, Role.auditor, Role.system, doing="reading register statistics")
    scope = uow.ctx.region_filter(people.c.region)
    where = [scope] if scope is not None else []
    by_status = dict(uow.execute(select(people.c.civil_status, func.count()).where(*where).group_by(people.c.civil_status)).all())
    by_sex = dict(uow.execute(select(people.c.sex, func.count()).where(*where).group_by(people.c.sex)).all())
    by_region = dict(uow.execute(select(people.c.region, func.count()).where(*where).group_by(people.c.region)
                                 .order_by(people.c.region)).all())
    volunteers = uow.execute(select(func.count()).where(people.c.volunteer.is_(True), *where)).scalar_one()
    recent = uow.execute(select(imports).order_by(imports.c.id.desc()).limit(10)).mappings().all()
    return RegisterStats(
        people=sum(by_status.values()),
        by_civil_status={enum_value(k): v for k, v in by_status.items()},
        by_sex=by_sex, by_region=by_region, volunteers=volunteers,
        imports=[{"id": r["id"], "source": r["source"], "status": enum_value(r["status"]),
                  "started_at": r["started_at"], "finished_at": r["finished_at"], "rows_imported": r["rows_imported"],
                  "rows_rejected": r["rows_rejected"]} for r in recent],
    )


def check_person(uow: UnitOfWork, national_id: str) -> None:
    """`NotFound` unless the person is on the register and the actor may see them; nothing of the
    record is returned, so no read is recorded (a page asks for a reason before showing it)."""
    national_id = national_id.strip()
    region = uow.execute(select(people.c.region).where(people.c.national_id == national_id)).scalar()
    uow.ctx.check_visible(region, national_id, error=NotFound("no person with that national id on the register"))


def get_person(uow: UnitOfWork, national_id: str, *, reason: str | None = None) -> dict[str, Any]:
    """One person's register record, its reading recorded in the audit log.

    Raises `NotFound` when there is no such person, or when the person is outside the actor's
    regions or (for a citizen) is not the citizen themselves: the same answer, revealing nothing.
    """
    national_id = national_id.strip()
    row = uow.execute(select(people).where(people.c.national_id == national_id)).mappings().first()
    uow.ctx.check_visible(row and row["region"], national_id, error=NotFound("no person with that national id on the register"))
    uow.record(PersonRead(target=person(national_id), reason=reason))
    return {k: enum_value(v) for k, v in row.items()}


def region_of(uow: UnitOfWork, national_id: str) -> str | None:
    """The region a person is registered in; None when they are not on the register (no record is shown,
    so nothing is audited: the caller decides what the region allows)."""
    return uow.execute(select(people.c.region).where(people.c.national_id == national_id.strip())).scalar()


#: What a confirmed contact-change request may change on the register.
CONTACT_FIELDS = ("email", "phone", "address", "postcode")


def apply_contact_change(uow: UnitOfWork, national_id: str, changes: dict[str, str]) -> None:
    """Write a confirmed contact change (e-mail, phone, address and postcode only) to the person's record.

    The caller (the contact-change request's decision) checked the values and records the decision."""
    unknown = set(changes) - set(CONTACT_FIELDS)
    if unknown:
        raise ValueError(f"not contact details: {sorted(unknown)}")
    if changes:
        uow.execute(update(people).where(people.c.national_id == national_id).values(**changes))


def contact_of(uow: UnitOfWork, national_id: str) -> tuple[str | None, str | None]:
    """A living person's e-mail address and telephone number as the register holds them (None, None
    for nobody, or for someone recorded deceased or emigrated).

    For a message to the person (a reminder): the caller records the use in the audit log with
    the message, so a read and its purpose are one entry."""
    row = uow.execute(select(people.c.email, people.c.phone).where(
        people.c.national_id == national_id, people.c.civil_status == CivilStatus.alive)).first()
    if row is None:
        return None, None
    return (row.email or "").strip() or None, (row.phone or "").strip() or None


def language_of(uow: UnitOfWork, national_id: str) -> str | None:
    """The language the register gives for a person (e.g. "ru"); None when it gives none (their letters are then
    in the policy's language, their pages in their browser's).

    For the person's own portal pages: the caller has established that the actor is that person."""
    return uow.execute(select(people.c.language).where(people.c.national_id == national_id)).scalar()


def contacts_of(uow: UnitOfWork, national_ids: list[str]) -> dict[str, tuple[str | None, str | None]]:
    """`contact_of` for many people at once (living ones only; the others are absent)."""
    found: dict[str, tuple[str | None, str | None]] = {}
    for i in range(0, len(national_ids), 5000):
        for row in uow.execute(select(people.c.national_id, people.c.email, people.c.phone).where(
                people.c.national_id.in_(national_ids[i:i + 5000]), people.c.civil_status == CivilStatus.alive)):
            found[row.national_id] = ((row.email or "").strip() or None, (row.phone or "").strip() or None)
    return found


def name_and_birth_date(uow: UnitOfWork, national_id: str) -> tuple[str, dt.date] | None:
    """A person's full name and date of birth as the register holds them; None for nobody.

    For a document the person holds about themselves (the signed status document): the caller has
    already established that the actor is that person.
    """
    row = uow.execute(select(people.c.given_names, people.c.family_name, people.c.date_of_birth)
                      .where(people.c.national_id == national_id)).first()
    return (f"{row.given_names} {row.family_name}", row.date_of_birth) if row is not None else None


def names_of(uow: UnitOfWork, national_ids: Iterable[str]) -> dict[str, str]:
    """The full names ("given family") of the people `national_ids` the actor may see, by national id.

    For lists the caller has audited as read (a day's appointments, the people a decision concerns):
    one query, not one per person; people outside the actor's regions are left out."""
    wanted = sorted({n.strip() for n in national_ids})
    if not wanted:
        return {}
    query = select(people.c.national_id, people.c.given_names, people.c.family_name, people.c.region)
    found: dict[str, str] = {}
    for i in range(0, len(wanted), 500):
        for r in uow.execute(query.where(people.c.national_id.in_(wanted[i:i + 500]))).all():
            if uow.ctx.may_see(r.region, r.national_id):
                found[r.national_id] = f"{r.given_names} {r.family_name}"
    return found


def birth_and_import_query() -> Select[Any]:
    """SELECT national_id, date_of_birth, import_id of everyone on the register (the import that last wrote them):
    what the fairness tests of a draw compare lottery ranks with, joined in bulk by national id."""
    return select(people.c.national_id, people.c.date_of_birth, people.c.import_id)


def alive_among(uow: UnitOfWork, national_ids: Iterable[str]) -> set[str]:
    """Those of `national_ids` whose register record says they are alive (people not on the register are not
    among them): who may still be called from a reserve. Not a read of anyone's record: no one is named."""
    wanted = sorted({n.strip() for n in national_ids})
    found: set[str] = set()
    for i in range(0, len(wanted), 500):
        found.update(uow.execute(select(people.c.national_id).where(
            people.c.national_id.in_(wanted[i:i + 500]), people.c.civil_status == CivilStatus.alive.value)).scalars())
    return found


def postcodes_and_languages(uow: UnitOfWork, national_ids: Iterable[str]) -> dict[str, tuple[str, str | None]]:
    """The postcode and language (None: not stated) of each of `national_ids` on the register, for their summonses
    (where they are scheduled, in which language the letter is written); people not on the register are left out."""
    wanted = sorted(set(national_ids))
    found: dict[str, tuple[str, str | None]] = {}
    for i in range(0, len(wanted), 1000):
        rows = uow.execute(select(people.c.national_id, people.c.postcode, people.c.language)
                           .where(people.c.national_id.in_(wanted[i:i + 1000])))
        found.update({r.national_id: (r.postcode, r.language) for r in rows})
    return found


def postal_addresses(uow: UnitOfWork, national_ids: list[str]) -> dict[str, tuple[str, str, str]]:
    """Name, address and postcode of each of `national_ids` on the register, for letters to them (the caller
    records the printing); people not on the register are left out."""
    found: dict[str, tuple[str, str, str]] = {}
    for i in range(0, len(national_ids), 1000):
        rows = uow.execute(select(people.c.national_id, people.c.given_names, people.c.family_name, people.c.address,
                                  people.c.postcode).where(people.c.national_id.in_(national_ids[i:i + 1000])))
        found.update({r.national_id: (f"{r.given_names} {r.family_name}", r.address, r.postcode) for r in rows})
    return found
