"""Replacements: when a called person is released, fill their call by the rule the public record states.

The release is filled by the region's first supernumerary call if there is one (a replacement
kept after the person they replaced got their call back on appeal: nobody new is called), else
by the first position after the last one called in the region whose register record is still
alive (the reserve is walked once, so a person passed over because they had died is not called
later even if the record is corrected), else by nobody (the reserve is exhausted). The release of
a supernumerary call itself is filled by nobody: that call was beyond the region's number. Idempotent
(releasing someone twice returns the first replacement), serialised per campaign (a row lock on
PostgreSQL, BEGIN IMMEDIATE on SQLite), so two officers replacing at once never call the same
person twice.

Every release and every call given back on appeal (`restore_call`) appends an entry to the
campaign's hash-chained replacements record (`callup.lottery.replacements`), in the same unit of
work, so that anyone can check each replacement against the reserve order the draw published.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any, cast

from sqlalchemy import Connection, Table, and_, func, or_, select, update

from callup.audit import person
from callup.campaigns import events
from callup.campaigns.errors import CampaignNotFound, CampaignStateError, NotCalled
from callup.campaigns.tables import (
    Call,
    CallSource,
    Campaign,
    CampaignStatus,
    OrderEntry,
    PoolEntry,
    ReleaseReason,
    ReplacementEntry,
)
from callup.context import Role
from callup.errors import InputError
from callup.lottery import replacements as record
from callup.register.queries import alive_among
from callup.store.columns import enum_value
from callup.uow import UnitOfWork

__all__ = ["REASONS", "Replacement", "parse_reason", "record_complete", "replace", "replacements_file", "replacements_head", "restore_call"]


calls = cast(Table, Call.__table__)
order = cast(Table, OrderEntry.__table__)
campaigns = cast(Table, Campaign.__table__)
pool = cast(Table, PoolEntry.__table__)
log = cast(Table, ReplacementEntry.__table__)
REASONS = tuple(r.value for r in ReleaseReason)
_RESERVE_BATCH = 50  # reserve positions read at a time while looking for the next person alive


@dataclasses.dataclass(frozen=True)
class Replacement:
    campaign: str
    released: str
    reason: str
    region: str
    replacement: str | None  # None when nobody takes the call (filled_by beyond or nobody)
    position: int | None
    already_done: bool
    #: reserve; supernumerary (nobody new called: one already beyond the number takes the call); beyond (the call
    #: that ended was itself beyond the region's number, so nobody is needed); nobody (the reserve is exhausted).
    #: The public record names both of the last two "nobody" (docs/lottery.md 9.1); the record's entry tells them
    #: apart by the calls before it.
    filled_by: str = "reserve"


def filled_in_words(filled_by: str | None, replacement: str | None, position: int | None = None) -> str:
    """Who took a released call, as the command line says it ("replaced by ..."); `filled_by` as `Replacement`'s."""
    if filled_by == "beyond":
        return "nobody: the call was one beyond the region's number (given back on appeal); the region is at its number again"
    if replacement is None:
        return "nobody: the reserve list is exhausted"
    if filled_by == "supernumerary":
        return f"{replacement}, already called beyond the number after an appeal (nobody new is called)"
    return replacement if position is None else f"{replacement} (position {position})"


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
    if enum_value(row.status) != CampaignStatus.drawn.value:
        raise CampaignStateError(f"campaign {name!r} is {getattr(row.status, 'value', row.status)}: only a drawn campaign "
                                 "has called people to release and replace")
    return row


def _next_in_reserve(uow: UnitOfWork, campaign_id: int, region: str) -> tuple[tuple[str, int] | None, list[int]]:
    """The next reserve call of the region, and the positions passed over to reach it (people who left the register)."""
    # Calls are made in position order (the draw calls a prefix of the order, each replacement the
    # next), so the reserve continues after the last position called: one index look-up
    # (ix_campaign_calls_region) rather than skipping every person already called. The reserve is
    # read a few positions at a time and the register says who of them is alive.
    conn = uow.conn
    called = (select(func.coalesce(func.max(calls.c.position), 0))
              .where(calls.c.campaign_id == campaign_id, calls.c.region == region).scalar_subquery())

    def reserve(after: Any) -> list[Any]:  # the next few of the order after `after`, with the last position called
        return list(conn.execute(select(order.c.national_id, order.c.position, called.label("last"))
                                 .where(order.c.campaign_id == campaign_id, order.c.region == region, order.c.position > after)
                                 .order_by(order.c.position).limit(_RESERVE_BATCH)))

    batch = reserve(called)
    last = int(batch[0].last if batch else conn.execute(select(called)).scalar_one())
    row = None
    while batch:
        alive = alive_among(uow, [r.national_id for r in batch])
        row = next((r for r in batch if r.national_id in alive), None)
        if row is not None:
            break
        batch = reserve(batch[-1].position)
    end = row.position if row else conn.execute(select(func.coalesce(func.max(order.c.position), 0)).where(
        order.c.campaign_id == campaign_id, order.c.region == region)).scalar_one() + 1
    return ((row.national_id, row.position) if row else None), list(range(last + 1, end))


def _supernumerary(conn: Connection, campaign_id: int, region: str, released: str) -> str | None:
    """The region's first live replacement call (by position) whose released person is live again, if any."""
    replaced = calls.alias("replaced")
    row = conn.execute(select(calls.c.national_id).join(replaced, and_(
        replaced.c.campaign_id == calls.c.campaign_id, replaced.c.national_id == calls.c.replaces)).where(
        calls.c.campaign_id == campaign_id, calls.c.region == region, calls.c.replaces.is_not(None),
        calls.c.release_reason.is_(None),
        replaced.c.release_reason.is_(None), calls.c.national_id != released)
        .order_by(calls.c.position).limit(1)).first()
    return row.national_id if row else None


def _is_supernumerary(conn: Connection, campaign_id: int, call: Any) -> bool:
    """Whether `call` (live) is itself supernumerary: a replacement whose released person is live again."""
    if call["replaces"] is None:
        return False
    return conn.execute(select(calls.c.release_reason).where(
        calls.c.campaign_id == campaign_id, calls.c.national_id == call["replaces"])).one().release_reason is None


def replace(uow: UnitOfWork, name: str, national_id: str, reason: ReleaseReason | str) -> Replacement:
    """Release `national_id` from the campaign for `reason` and fill their call: by nobody when it is itself
    supernumerary, else by the region's first supernumerary call, else by the next person in reserve (the
    module's rule); recorded in the campaign's replacements record.

    In the caller's unit of work, so a decision that releases someone and the replacement it
    causes commit together. `NotCalled` when the person is not called (or is outside the
    actor's regions: the same answer). The call only: a use case releases through
    `notices.releases.release`, which cancels the person's summons too.
    """
    uow.ctx.require(Role.administrator, Role.officer, Role.medical, Role.system, doing="releasing a called person")
    reason = reason if isinstance(reason, ReleaseReason) else parse_reason(reason)
    national_id = national_id.strip()
    conn = uow.conn
    campaign = _campaign_for_update(conn, name)
    call = conn.execute(select(calls).where(and_(calls.c.campaign_id == campaign.id, calls.c.national_id == national_id))).mappings().first()
    not_called = NotCalled(f"that person is not called in campaign {name!r}")
    if call is None:
        raise not_called
    uow.ctx.check_visible(call["region"], national_id, error=not_called)
    if call["release_reason"] is not None:
        previous = conn.execute(select(calls.c.national_id, calls.c.position).where(
            and_(calls.c.campaign_id == campaign.id, calls.c.replaces == national_id))).first()
        return Replacement(name, national_id, enum_value(call["release_reason"]), call["region"],
                           previous.national_id if previous else None, previous.position if previous else None, already_done=True)
    region = call["region"]
    beyond = _is_supernumerary(conn, campaign.id, call)
    spare = None if beyond else _supernumerary(conn, campaign.id, region, national_id)
    conn.execute(update(calls).where(and_(calls.c.campaign_id == campaign.id, calls.c.national_id == national_id))
                 .values(release_reason=reason, released_at=uow.now()))
    nxt: tuple[str, int] | None  # who is called instead, at which position
    skipped: list[int]
    if beyond:  # a call beyond the region's number ends: the region is back at its number, nobody fills it
        nxt, skipped, filled = None, [], "beyond"
    elif spare is not None:  # nobody new is called: the supernumerary now fills this call
        conn.execute(update(calls).where(calls.c.campaign_id == campaign.id, calls.c.national_id == spare)
                     .values(replaces=national_id))
        nxt, skipped, filled = (spare, _position(conn, campaign.id, spare)), [], "supernumerary"
    else:
        nxt, skipped = _next_in_reserve(uow, campaign.id, region)
        filled = "reserve" if nxt is not None else "nobody"
        if nxt is not None:
            conn.execute(calls.insert().values(campaign_id=campaign.id, national_id=nxt[0], region=region, position=nxt[1],
                                               source=CallSource.replacement, replaces=national_id, called_at=uow.now()))
            uow.record(events.PersonCalled(target=person(nxt[0]), campaign=name, replaces=national_id, position=nxt[1]))
    uow.record(events.PersonReleased(target=person(national_id), campaign=name, release_reason=reason.value,
                                     replaced_by=nxt[0] if nxt else None))
    pseudonyms = _pseudonyms(conn, campaign.id, [national_id, *([nxt[0]] if nxt else [])])
    _append(uow, campaign.id, lambda **chain: record.release_entry(
        **chain, region=region, pseudonym=pseudonyms[national_id], reason=reason.value, filled_by="nobody" if filled == "beyond" else filled,
        called=pseudonyms[nxt[0]] if nxt else None, position=nxt[1] if nxt and filled == "reserve" else None, skipped=skipped))
    return Replacement(name, national_id, reason.value, region, nxt[0] if nxt else None, nxt[1] if nxt else None,
                       already_done=False, filled_by=filled)


def restore_call(uow: UnitOfWork, campaign_id: int, national_id: str, reason: str, kept: str | None) -> bool:
    """Give a released person their call back (an overturned decision); `kept` (who filled it) keeps theirs.

    False, changing nothing, when the person's call is not released for `reason`.
    """
    if uow.conn.dialect.name == "postgresql":  # one writer of the record at a time, as replace does
        uow.execute(select(campaigns.c.id).where(campaigns.c.id == campaign_id).with_for_update())
    where = and_(calls.c.campaign_id == campaign_id, calls.c.national_id == national_id, calls.c.release_reason == reason)
    if uow.execute(update(calls).where(where).values(release_reason=None, released_at=None)).rowcount != 1:
        return False
    region = uow.execute(select(calls.c.region).where(calls.c.campaign_id == campaign_id,
                                                      calls.c.national_id == national_id)).scalar_one()
    pseudonyms = _pseudonyms(uow.conn, campaign_id, [national_id, *([kept] if kept else [])])
    _append(uow, campaign_id, lambda **chain: record.restore_entry(
        **chain, region=region, pseudonym=pseudonyms[national_id], kept=pseudonyms[kept] if kept else None))
    return True


def replacements_file(conn: Connection, campaign_id: int) -> bytes:
    """The campaign's replacements.jsonl: every entry's line, in order, each ended by a line feed."""
    lines = conn.execute(select(log.c.line).where(log.c.campaign_id == campaign_id).order_by(log.c.seq)).scalars()
    return b"".join(line.encode("utf-8") + b"\n" for line in lines)


def record_complete(conn: Connection, campaign_id: int) -> bool:
    """Whether the record can hold every release: False for a campaign whose calls were released or replaced before
    the record existed (its first entries would be missing, so publishing it would mislead)."""
    released = conn.execute(select(func.count()).where(calls.c.campaign_id == campaign_id,
                                                       calls.c.release_reason.is_not(None))).scalar_one()
    replaced = conn.execute(select(func.count()).where(calls.c.campaign_id == campaign_id,
                                                       calls.c.source == CallSource.replacement)).scalar_one()
    logged = conn.execute(select(func.count()).where(log.c.campaign_id == campaign_id,
                                                     log.c.line.like('%"kind":"release"%'))).scalar_one()
    # JCS escapes every '"' inside a string, so these texts occur only as the members themselves.
    from_reserve = conn.execute(select(func.count()).where(log.c.campaign_id == campaign_id,
                                                           log.c.line.like('%"filled_by":"reserve"%'))).scalar_one()
    return released <= logged and replaced <= from_reserve


def replacements_head(conn: Connection, campaign_id: int) -> tuple[int, str | None]:
    """How many entries the record has and the hash of its last line (None when it has none)."""
    last = conn.execute(select(log.c.seq, log.c.hash).where(log.c.campaign_id == campaign_id)
                        .order_by(log.c.seq.desc()).limit(1)).first()
    return (last.seq, last.hash) if last else (0, None)


def _position(conn: Connection, campaign_id: int, national_id: str) -> int:
    return conn.execute(select(calls.c.position).where(calls.c.campaign_id == campaign_id,
                                                       calls.c.national_id == national_id)).scalar_one()


def _pseudonyms(conn: Connection, campaign_id: int, ids: list[str]) -> dict[str, str]:
    rows = conn.execute(select(pool.c.national_id, pool.c.pseudonym).where(pool.c.campaign_id == campaign_id,
                                                                          pool.c.national_id.in_(ids)))
    return {r.national_id: r.pseudonym for r in rows}


def _append(uow: UnitOfWork, campaign_id: int, build: Any) -> None:
    """Append the entry `build(seq=, previous=, draw_record=, date=)` makes to the campaign's record."""
    conn = uow.conn
    # The record's last entry and its first (which names the draw record's hash), in one read.
    last = select(func.max(log.c.seq)).where(log.c.campaign_id == campaign_id).scalar_subquery()
    ends = {r.seq: r for r in conn.execute(select(log.c.seq, log.c.hash, log.c.line).where(
        log.c.campaign_id == campaign_id, or_(log.c.seq == 1, log.c.seq == last)))}
    seq, head = (max(ends), ends[max(ends)].hash) if ends else (0, None)
    if head is None:  # the first entry: hash the draw record (later entries repeat the hash the first one names)
        text = conn.execute(select(campaigns.c.record).where(campaigns.c.id == campaign_id)).scalar_one()
        draw_hash = record.record_hash(json.loads(text))
    else:
        draw_hash = json.loads(ends[1].line)["draw_record"]
    entry = build(seq=seq + 1, previous=head or draw_hash, draw_record=draw_hash,
                  date=uow.now().astimezone(dt.UTC).date().isoformat())
    line = record.entry_line(entry)
    conn.execute(log.insert().values(campaign_id=campaign_id, seq=seq + 1, line=line.decode("utf-8"), hash=record.line_hash(line)))
