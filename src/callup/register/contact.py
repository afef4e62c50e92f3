"""Contact-detail changes asked for by citizens, confirmed or rejected by the register's owner.

A citizen never overwrites the register: the portal records a request (values encrypted at
rest); an officer of the person's region (or an administrator) confirms it, which writes the
new values to the register, or rejects it with a reason. Both steps are audited on the person.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any, ClassVar, cast

from sqlalchemy import Table, insert, select

from callup.audit import AuditEvent, person
from callup.context import Role
from callup.errors import InputError, NotFound, StateError
from callup.register.queries import CONTACT_FIELDS, apply_contact_change, region_of
from callup.register.tables import ContactRequest
from callup.statemachine import Machine
from callup.store.rowids import is_row_id
from callup.store.steps import step_row
from callup.uow import UnitOfWork

requests_t = cast(Table, ContactRequest.__table__)

PENDING = "pending"  # a new request's state

#: A request is decided once: confirmed (its values written to the register) or rejected.
CONTACT_REQUEST = Machine("contact-change request", {
    (PENDING, "confirm"): "confirmed",
    (PENDING, "reject"): "rejected",
}, final=frozenset({"confirmed", "rejected"}))
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}")
PHONE = re.compile(r"\+?[0-9 ()-]{6,24}")


@dataclasses.dataclass(frozen=True, kw_only=True)
class ContactChangeRequested(AuditEvent):
    """person.contact.request: a citizen asked to change contact details (which fields; not the values)."""

    action: ClassVar[str] = "person.contact.request"
    request_id: int
    fields: list[str]


@dataclasses.dataclass(frozen=True, kw_only=True)
class ContactChangeDecided(AuditEvent):
    """person.contact.decide: an officer confirmed (applied) or rejected a contact-change request."""

    action: ClassVar[str] = "person.contact.decide"
    request_id: int
    decision: str


@dataclasses.dataclass(frozen=True)
class ContactChange:
    id: int
    national_id: str
    region: str
    email: str | None
    phone: str | None
    address: str | None
    postcode: str | None
    status: str
    requested_at: dt.datetime
    decided_at: dt.datetime | None
    decision_reason: str | None


def _clean(value: str | None, *, field: str, limit: int, pattern: re.Pattern[str] | None = None) -> str | None:
    value = " ".join((value or "").split())
    if not value:
        return None
    if len(value) > limit:
        raise InputError(f"{field}: at most {limit} characters", field=field)
    if pattern is not None and not pattern.fullmatch(value):
        raise InputError(f"{field}: not a valid {field.replace('_', ' ')}", field=field)
    return value


def request_change(uow: UnitOfWork, *, email: str | None = None, phone: str | None = None, address: str | None = None,
                   postcode: str | None = None) -> int:
    """A citizen asks to change their own contact details; returns the request's id."""
    uow.ctx.require(Role.citizen, doing="asking to change contact details")
    national_id = uow.actor.own_id()
    values = dict(email=_clean(email, field="email", limit=254, pattern=EMAIL),
                  phone=_clean(phone, field="phone", limit=24, pattern=PHONE),
                  address=_clean(address, field="address", limit=200),
                  postcode=_clean(postcode, field="postcode", limit=16, pattern=re.compile(uow.ctx.policy().postcode_pattern)))
    if (values["address"] is None) != (values["postcode"] is None):
        raise InputError("a new address needs its postcode (and a postcode its address)", field="address" if values["address"] is None else "postcode")
    fields = [k for k, v in values.items() if v is not None]
    if not fields:
        raise InputError("fill in at least one of email, phone or address", field="email")
    region = region_of(uow, national_id)
    if region is None:
        raise NotFound("you are not on the register")
    new_id = uow.execute(insert(requests_t).values(national_id=national_id, region=region, status=PENDING,
                                                   requested_at=uow.now(), **values)).inserted_primary_key[0]
    uow.record(ContactChangeRequested(target=person(national_id), request_id=new_id, fields=fields))
    return int(new_id)


def _change(row: Any) -> ContactChange:
    return ContactChange(row["id"], row["national_id"], row["region"], row["email"], row["phone"], row["address"], row["postcode"],
                         row["status"], row["requested_at"], row["decided_at"], row["decision_reason"])


def my_requests(uow: UnitOfWork) -> list[ContactChange]:
    uow.ctx.require(Role.citizen, doing="listing your contact-change requests")
    rows = uow.execute(select(requests_t).where(requests_t.c.national_id == uow.actor.person_id)
                       .order_by(requests_t.c.id.desc()).limit(20)).mappings().all()
    return [_change(r) for r in rows]


def pending(uow: UnitOfWork, *, limit: int = 200) -> list[ContactChange]:
    """Requests waiting for a decision, in the actor's regions, oldest first."""
    uow.ctx.require(Role.administrator, Role.officer, Role.auditor, doing="listing contact-change requests")
    query = select(requests_t).where(requests_t.c.status == PENDING).order_by(requests_t.c.id).limit(limit)
    scope = uow.ctx.region_filter(requests_t.c.region)
    if scope is not None:
        query = query.where(scope)
    return [_change(r) for r in uow.execute(query).mappings().all()]


def decide(uow: UnitOfWork, request_id: int, *, confirm: bool, reason: str | None = None) -> ContactChange:
    """Confirm (write the new values to the register) or reject a pending request of the actor's regions."""
    uow.ctx.require(Role.administrator, Role.officer, doing="deciding contact-change requests")
    row = uow.execute(select(requests_t).where(requests_t.c.id == request_id)).mappings().first() if is_row_id(request_id) else None
    missing = NotFound("no contact-change request with that number", field="request")
    if row is None:
        raise missing
    uow.ctx.check_visible(row["region"], row["national_id"], error=missing)
    step = "confirm" if confirm else "reject"
    if not CONTACT_REQUEST.can(row["status"], step):
        raise StateError(f"the request was already {row['status']}", field="request")
    reason = " ".join((reason or "").split())[:500] or None
    if not confirm and not reason:
        raise InputError("a rejection needs its reason", field="reason")
    # the request's step first, guarded: of two officers deciding at once, the second is refused
    # here, before it writes anything to the register
    try:
        decision = step_row(uow, CONTACT_REQUEST, requests_t, request_id, row["status"], step, subject=f"contact-change request {request_id}",
                            decided_at=uow.now(), decided_by=uow.actor.label(),
                            decision_reason=reason)
    except StateError:
        now = uow.execute(select(requests_t.c.status).where(requests_t.c.id == request_id)).scalar()
        raise StateError(f"the request was already {now} by another officer meanwhile", field="request") from None
    if confirm:
        apply_contact_change(uow, row["national_id"], {k: row[k] for k in CONTACT_FIELDS if row[k] is not None})
    uow.record(ContactChangeDecided(target=person(row["national_id"]), reason=reason, request_id=request_id, decision=decision))
    return _change(uow.execute(select(requests_t).where(requests_t.c.id == request_id)).mappings().one())
