"""The office's record of the status documents it signed, and their withdrawal (the revocation list).

The documents are signed by the web edge (`callup.web.statusdoc`); their record lives here, beside
the standing they state, so that the daily jobs can withdraw the outdated ones.

A document is signed for 30 days; a holder whose status changes in that time (released, then
called again; inducted) must not keep a valid-looking document that says otherwise. So every
document the portal signs is recorded by serial; it is withdrawn when its holder's status changes
(at once when the holder downloads a new one, and by `callup status refresh`, which the daily jobs
run, for everyone else) or by an officer (`callup status revoke`). The signed list of withdrawn
serials that have not yet expired is published at /status/revoked for checkers, who keep the last
one they downloaded to check offline (`callup status verify --revoked`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import ClassVar, cast

from sqlalchemy import Table, and_, insert, select, update

from callup.audit import AuditEvent, person
from callup.context import Context, Role
from callup.errors import InputError, NotFound
from callup.military_service.standing import standing_of
from callup.military_service.tables import StatusDocument
from callup.register.queries import check_person
from callup.uow import UnitOfWork

__all__ = ["STATUS_CHANGED", "WITHDRAWN", "Withdrawn", "record", "refresh", "revocation_of", "revoke", "withdrawn"]

documents = cast(Table, StatusDocument.__table__)

#: Why a document was withdrawn (the `revoked_why` column and the list's `why`).
STATUS_CHANGED, WITHDRAWN = "status changed", "withdrawn by the office"


@dataclasses.dataclass(frozen=True, kw_only=True)
class StatusDocumentRevoked(AuditEvent):
    """status.revoke: status documents were withdrawn (their serials and why; no name)."""

    action: ClassVar[str] = "status.revoke"
    serials: list[str]
    why: str


@dataclasses.dataclass(frozen=True)
class Withdrawn:
    serial: str
    since: dt.date
    why: str
    valid_until: dt.date


def record(uow: UnitOfWork, *, serial: str, national_id: str, campaign: str, status: str, issued: dt.date,
           valid_until: dt.date) -> None:
    """Record the document `serial` signed for `national_id`, and withdraw their earlier documents that
    are still valid but name another status (the new one says what they are now)."""
    if uow.execute(select(documents.c.serial).where(documents.c.serial == serial)).first() is None:
        uow.execute(insert(documents).values(serial=serial, national_id=national_id, campaign=campaign,
                                             status=status, issued_on=issued, valid_until=valid_until))
    outdated = [row.serial for row in uow.execute(select(documents.c.serial).where(
        documents.c.national_id == national_id, documents.c.status != status, documents.c.revoked_at.is_(None),
        documents.c.valid_until >= uow.ctx.today()))]
    _revoke(uow, outdated, STATUS_CHANGED, target=national_id)


def _revoke(uow: UnitOfWork, serials: list[str], why: str, *, target: str) -> None:
    if not serials:
        return
    uow.execute(update(documents).where(documents.c.serial.in_(serials), documents.c.revoked_at.is_(None))
                .values(revoked_at=uow.now(), revoked_why=why))
    uow.record(StatusDocumentRevoked(target=person(target), serials=sorted(serials), why=why))


def revoke(uow: UnitOfWork, serial: str) -> None:
    """An officer withdraws one document (stolen, issued in error); the holder can download a new one."""
    uow.ctx.require(Role.administrator, Role.officer, doing="withdrawing a status document")
    serial = serial.strip().upper()
    row = uow.execute(select(documents).where(documents.c.serial == serial)).mappings().first()
    if row is None:
        raise NotFound(f"no status document has the serial {serial!r}", field="serial")
    try:
        check_person(uow, row["national_id"])
    except NotFound:  # outside the officer's regions: answered as if it did not exist
        raise NotFound(f"no status document has the serial {serial!r}", field="serial") from None
    if row["revoked_at"] is not None:
        raise InputError(f"the status document {serial} was already withdrawn ({row['revoked_why']})", field="serial")
    _revoke(uow, [serial], WITHDRAWN, target=row["national_id"])


def refresh(ctx: Context, *, batch: int = 500) -> int:
    """Withdraw every valid document whose holder's status has changed since it was signed; the number withdrawn.

    Safe to run twice or at once with itself: a document already withdrawn is left as it is."""
    ctx.require(Role.administrator, Role.system, doing="refreshing the status documents")
    withdrawn, after = 0, ""
    while True:
        with UnitOfWork(ctx, write=False) as uow:
            rows = uow.execute(select(documents.c.serial, documents.c.national_id, documents.c.status).where(
                documents.c.serial > after, documents.c.revoked_at.is_(None), documents.c.valid_until >= ctx.today())
                .order_by(documents.c.serial).limit(batch)).all()
            # The office's own check of what it signed: nobody is shown these records, so no read is audited.
            outdated = [(r.serial, r.national_id) for r in rows if standing_of(uow, r.national_id).status != r.status]
        if outdated:
            with UnitOfWork(ctx) as uow:
                for serial, national_id in outdated:
                    _revoke(uow, [serial], STATUS_CHANGED, target=national_id)
        withdrawn += len(outdated)
        if len(rows) < batch:
            return withdrawn
        after = rows[-1].serial


def revocation_of(uow: UnitOfWork, serial: str) -> tuple[dt.date, str] | None:
    """When and why the document `serial` was withdrawn, or None if it stands."""
    row = uow.execute(select(documents.c.revoked_at, documents.c.revoked_why).where(
        and_(documents.c.serial == serial, documents.c.revoked_at.is_not(None)))).first()
    return None if row is None else (row.revoked_at.date(), row.revoked_why)


def withdrawn(uow: UnitOfWork) -> list[Withdrawn]:
    """The withdrawn documents that have not yet expired (what the revocation list names)."""
    rows = uow.execute(select(documents.c.serial, documents.c.revoked_at, documents.c.revoked_why, documents.c.valid_until)
                       .where(documents.c.revoked_at.is_not(None), documents.c.valid_until >= uow.ctx.today())
                       .order_by(documents.c.serial)).all()
    return [Withdrawn(r.serial, r.revoked_at.date(), r.revoked_why, r.valid_until) for r in rows]
