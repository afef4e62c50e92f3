"""Replacements: when a called person is released, call the next in the region's reserve order.

Deterministic (always the first position after the last one called in the region whose
register record is still alive: the reserve is walked once, so a person passed over because
they had died is not called later even if the record is corrected), idempotent (releasing
someone twice returns the first replacement), serialised per campaign (a row lock on PostgreSQL, BEGIN IMMEDIATE on SQLite), so two officers
replacing at once never call the same person twice.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import Connection, and_, func, select, update

from callup.audit import person
from callup.campaigns import events
from callup.campaigns.errors import CampaignNotFound, CampaignStateError, NotCalled
from callup.campaigns.tables import Call, CallSource, Campaign, CampaignStatus, OrderEntry, ReleaseReason
from callup.context import Role
from callup.errors import InputError
from callup.register.tables import CivilStatus, Person
from callup.notices.service import cancel_for_release
from callup.uow import UnitOfWork

calls = Call.__table__
order = OrderEntry.__table__
campaigns = Campaign.__table__
people = Person.__table__
REASONS = tuple(r.value for r in ReleaseReason)


@dataclasses.dataclass(frozen=True)
class Replacement:
    campaign: str
    released: str
    reason: str
    region: str
    replacement: str | None  # None when the region's reserve list is exhausted
    position: int | None
    already_done: bool


def parse_reason(text: str, *, where: str = "") -> ReleaseReason:
    """A release reason from its name; `InputError` naming the allowed ones."""
    try:
        return ReleaseReason(text.strip())
    except ValueError:
        raise InputError(f"{where}reason {text!r} is not one of {', '.join(REASONS)}", field="reason") from None


def _campaign_for_update(conn: Connection, name: str) -> Any:
    query = select(campaigns.c.id, campaigns.c.status).where(campaigns.c.name == name)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise CampaignNotFound(f"no campaign named {name!r}", field="name")
    if getattr(row.status, "value", row.status) != CampaignStatus.drawn.value:
        raise CampaignStateError(f"campaign {name!r} is {getattr(row.status, 'value', row.status)}: only a drawn campaign "
                                 "has called people to release and replace")
    return row


def _next_in_reserve(conn: Connection, campaign_id: int, region: str) -> tuple[str, int] | None:
    # Calls are made in position order (the draw calls a prefix of the order, each replacement the
    # next), so the reserve continues after the last position called: one index look-up
    # (ix_campaign_calls_region) rather than skipping every person already called.
    last = (select(func.coalesce(func.max(calls.c.position), 0))
            .where(calls.c.campaign_id == campaign_id, calls.c.region == region).scalar_subquery())
    query = (
        select(order.c.national_id, order.c.position)
        .join(people, people.c.national_id == order.c.national_id)
        .where(and_(order.c.campaign_id == campaign_id, order.c.region == region, order.c.position > last,
                    people.c.civil_status == CivilStatus.alive.value))
        .order_by(order.c.position)
        .limit(1)
    )
    row = conn.execute(query).first()
    return (row.national_id, row.position) if row else None


def replace(uow: UnitOfWork, name: str, national_id: str, reason: ReleaseReason | str) -> Replacement:
    """Release `national_id` from the campaign for `reason` and call the next person in reserve.

    In the caller's unit of work, so a decision that releases someone and the replacement it
    causes commit together. `NotCalled` when the person is not called (or is outside the
    actor's regions: the same answer).
    """
    uow.ctx.require(Role.administrator, Role.officer, Role.medical, Role.system, doing="releasing a called person")
    reason = reason if isinstance(reason, ReleaseReason) else parse_reason(reason)
    national_id = national_id.strip()
    conn = uow.conn
    campaign = _campaign_for_update(conn, name)
    call = conn.execute(select(calls).where(and_(calls.c.campaign_id == campaign.id, calls.c.national_id == national_id))).mappings().first()
    if call is None or not uow.actor.sees_region(call["region"]):
        raise NotCalled(f"that person is not called in campaign {name!r}")
    if call["release_reason"] is not None:
        previous = conn.execute(select(calls.c.national_id, calls.c.position).where(
            and_(calls.c.campaign_id == campaign.id, calls.c.replaces == national_id))).first()
        return Replacement(name, national_id, getattr(call["release_reason"], "value", call["release_reason"]), call["region"],
                           previous.national_id if previous else None, previous.position if previous else None, already_done=True)
    conn.execute(update(calls).where(and_(calls.c.campaign_id == campaign.id, calls.c.national_id == national_id))
                 .values(release_reason=reason, released_at=uow.now()))
    cancel_for_release(uow, campaign.id, national_id, f"released: {reason.value}")
    nxt = _next_in_reserve(conn, campaign.id, call["region"])
    if nxt is not None:
        conn.execute(calls.insert().values(campaign_id=campaign.id, national_id=nxt[0], region=call["region"], position=nxt[1],
                                           source=CallSource.replacement, replaces=national_id, called_at=uow.now()))
        uow.record(events.PersonCalled(target=person(nxt[0]), campaign=name, replaces=national_id, position=nxt[1]))
    uow.record(events.PersonReleased(target=person(national_id), campaign=name, release_reason=reason.value,
                                     replaced_by=nxt[0] if nxt else None))
    return Replacement(name, national_id, reason.value, call["region"], nxt[0] if nxt else None, nxt[1] if nxt else None,
                       already_done=False)


def replace_many(uow: UnitOfWork, name: str, items: list[tuple[str, ReleaseReason | str]]) -> list[Replacement]:
    """`replace` for each (national id, reason), in order, in the caller's one transaction: all or nothing."""
    return [replace(uow, name, national_id, reason) for national_id, reason in items]
