"""A campaign's calls and names as other features read them: the public surface over the calls table.

Case work, notices and military service ask here who is called in a campaign, whether a call has
ended (released, or the person inducted) and what a campaign is named, never through
`campaigns.tables`. The military service, above them all, tells the call of an induction
(`mark_inducted`), so notices and case work know it without reading service records. Ending a call and filling it
is `replacements.replace`; giving it back on appeal, `replacements.restore_call`. None of these
checks the actor's scope: the caller checks that the actor may see the person.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, select, update

from callup.campaigns.tables import Call, Campaign, OrderEntry, PoolEntry
from callup.store.columns import enum_value
from callup.uow import UnitOfWork

__all__ = ["CampaignFacts", "LiveCall", "campaign_facts", "campaign_id", "campaign_names", "find_call", "find_calls", "inducted",
           "inducted_among", "live_calls", "mark_inducted", "release_reason"]

calls, campaigns = cast(Table, Call.__table__), cast(Table, Campaign.__table__)
pool, order = PoolEntry.__table__, OrderEntry.__table__
# Built once: case work looks up a call for every step it takes.
# Built once: case work looks up calls for every step it takes.
_CALLS = (select(calls, campaigns.c.name.label("campaign"), campaigns.c.status.label("campaign_status"))
          .join(campaigns, campaigns.c.id == calls.c.campaign_id)
          .where(campaigns.c.name == bindparam("campaign"), calls.c.national_id.in_(bindparam("national_ids", expanding=True))))
# Prebuilt: the simulation asks it after every unfit finding.
_RELEASE_REASON = select(calls.c.release_reason).where(calls.c.campaign_id == bindparam("campaign_id"),
                                                      calls.c.national_id == bindparam("national_id"))


@dataclasses.dataclass(frozen=True)
class CampaignFacts:
    """What notices need of a campaign: its status (a `CampaignStatus` value), window and policy version."""

    id: int
    name: str
    status: str
    window_start: dt.date
    window_end: dt.date
    policy_version: str


@dataclasses.dataclass(frozen=True)
class LiveCall:
    """A call that has not ended, with what the person's summons shows of the draw: their pseudonym and rank."""

    national_id: str
    region: str
    pseudonym: str
    rank: int


def find_call(uow: UnitOfWork, campaign: str, national_id: str) -> dict[str, Any] | None:
    """The person's call in the campaign named `campaign`, released or not: the call's columns (`campaign_id`,
    `national_id`, `region`, `position`, `source`, `replaces`, `called_at`, `release_reason`, `released_at`) with the
    campaign's name (`campaign`) and status (`campaign_status`, its value); None when they are not called there."""
    return find_calls(uow, campaign, [national_id]).get(national_id.strip())


def find_calls(uow: UnitOfWork, campaign: str, national_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """`find_call` for many people at once, 500 a statement: their calls by national id (those called there only)."""
    wanted, found = sorted({n.strip() for n in national_ids}), {}
    for i in range(0, len(wanted), 500):
        for row in uow.execute(_CALLS, {"campaign": campaign, "national_ids": wanted[i:i + 500]}).mappings():
            found[row["national_id"]] = {**row, "campaign_status": enum_value(row["campaign_status"])}
    return found


def release_reason(uow: UnitOfWork, campaign_id: int, national_id: str) -> str | None:
    """Why the person's call in the campaign ended (a `ReleaseReason` value); None while it has not ended or there is none."""
    reason = uow.execute(_RELEASE_REASON, {"campaign_id": campaign_id, "national_id": national_id}).scalar()
    return enum_value(reason) if reason is not None else None


def mark_inducted(uow: UnitOfWork, campaign_id: int, national_ids: Iterable[str]) -> None:
    """Record that the people were inducted from their calls in the campaign (in the induction's unit of work), 500 a
    statement; a later induction from the same call (a contract after conscript service) keeps the first time."""
    wanted = sorted(set(national_ids))
    for i in range(0, len(wanted), 500):
        uow.execute(update(calls).where(calls.c.campaign_id == campaign_id, calls.c.national_id.in_(wanted[i:i + 500]),
                                        calls.c.inducted_at.is_(None)).values(inducted_at=uow.now()))


def inducted(uow: UnitOfWork, campaign_id: int, national_id: str) -> bool:
    """Whether the person was inducted from their call in the campaign."""
    return uow.execute(select(calls.c.inducted_at).where(calls.c.campaign_id == campaign_id,
                                                         calls.c.national_id == national_id)).scalar() is not None


def inducted_among(uow: UnitOfWork, campaign_id: int, national_ids: Iterable[str]) -> set[str]:
    """Those of `national_ids` who were inducted from their call in the campaign."""
    wanted, found = sorted(set(national_ids)), set()
    for i in range(0, len(wanted), 500):
        found.update(uow.execute(select(calls.c.national_id).where(
            calls.c.campaign_id == campaign_id, calls.c.national_id.in_(wanted[i:i + 500]),
            calls.c.inducted_at.is_not(None))).scalars())
    return found


def campaign_id(uow: UnitOfWork, name: str) -> int | None:
    """The id of the campaign named `name`; None when there is none."""
    return uow.execute(select(campaigns.c.id).where(campaigns.c.name == name)).scalar()


def campaign_names(uow: UnitOfWork, ids: Iterable[int]) -> dict[int, str]:
    """The names of the campaigns with these ids (ids of no campaign are left out).

    A campaign's name never changes, so each is read once per unit of work (case work names the
    campaign of every case it loads)."""
    known = uow.memo.setdefault("campaign_names", {})
    wanted = set(ids)
    missing = sorted(wanted - known.keys())
    if missing:
        known.update((r.id, r.name) for r in uow.execute(select(campaigns.c.id, campaigns.c.name)
                                                         .where(campaigns.c.id.in_(missing))))
    return {i: known[i] for i in wanted if i in known}


def campaign_facts(uow: UnitOfWork, *, name: str | None = None, by_id: int | None = None) -> CampaignFacts | None:
    """The campaign named `name` (or with the id `by_id`); None when there is none."""
    query = select(campaigns.c.id, campaigns.c.name, campaigns.c.status, campaigns.c.window_start, campaigns.c.window_end,
                   campaigns.c.policy_version)
    row = uow.execute(query.where(campaigns.c.name == name) if by_id is None else query.where(campaigns.c.id == by_id)).first()
    if row is None:
        return None
    return CampaignFacts(row.id, row.name, enum_value(row.status), row.window_start, row.window_end, row.policy_version)


def live_calls(uow: UnitOfWork, campaign_id: int) -> list[LiveCall]:
    """Everyone whose call in the campaign has not ended, with their pseudonym and lottery rank, by national id."""
    rows = uow.execute(select(calls.c.national_id, calls.c.region, pool.c.pseudonym, order.c.rank)
                       .join(pool, and_(pool.c.campaign_id == calls.c.campaign_id, pool.c.national_id == calls.c.national_id))
                       .join(order, and_(order.c.campaign_id == calls.c.campaign_id, order.c.national_id == calls.c.national_id))
                       .where(calls.c.campaign_id == campaign_id, calls.c.release_reason.is_(None))
                       .order_by(calls.c.national_id))
    return [LiveCall(r.national_id, r.region, r.pseudonym, r.rank) for r in rows]
