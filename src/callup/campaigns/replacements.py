"""Replacements: when a called person is released, fill their call by the rule the public record states.

The release is filled by the region's first supernumerary call if there is one (a replacement
kept after the person they replaced got their call back on appeal: nobody new is called; the one
that filled this person's own earlier release first), else
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
import functools
import json
from collections import Counter
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Connection, Table, and_, bindparam, func, or_, select, update

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

__all__ = ["REASONS", "Replacement", "Restored", "parse_reason", "record_complete", "replace", "replace_each", "replacements_file",
           "replacements_head", "restore_call"]


calls = cast(Table, Call.__table__)
order = cast(Table, OrderEntry.__table__)
campaigns = cast(Table, Campaign.__table__)
pool = cast(Table, PoolEntry.__table__)
log = cast(Table, ReplacementEntry.__table__)
REASONS = tuple(r.value for r in ReleaseReason)
_RESERVE_SPARE = 8  # reserve positions read ahead for a region beyond two for each of a list's releases there


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


@dataclasses.dataclass
class _Region:
    """What a list's releases need of one region, read once and kept as they go: the last position called, the
    supernumerary calls (live replacements whose released person is live again) by position, and the reserve read
    ahead (positions after the last called, each with whether its person is alive)."""

    name: str
    last: int
    width: int  # reserve positions read at a time: twice the list's releases in the region, and a few
    supernumerary: list[Any] = dataclasses.field(default_factory=list)  # rows (position, national_id, replaces)
    ahead: list[tuple[int, str, bool]] = dataclasses.field(default_factory=list)  # (position, national_id, alive)
    read_to: int | None = None  # the reserve is read up to this position (None: not yet)
    exhausted: bool = False


class _Filling:
    """The regions of a list of releases, read together and kept in memory while the list is taken in order, so that
    each release is filled as it would be alone (the module's rule) in a few statements for the whole list."""

    def __init__(self, uow: UnitOfWork, campaign_id: int, releases: Counter[str]) -> None:
        self.uow, self.campaign_id = uow, campaign_id
        conn = uow.conn
        last = {region: position for region, position in conn.execute(select(calls.c.region, func.max(calls.c.position)).where(
            calls.c.campaign_id == campaign_id, calls.c.region.in_(list(releases))).group_by(calls.c.region))}
        self.regions = {r: _Region(r, int(last.get(r) or 0), 2 * n + _RESERVE_SPARE) for r, n in releases.items()}
        replaced = calls.alias("replaced")
        for row in conn.execute(select(calls.c.region, calls.c.position, calls.c.national_id, calls.c.replaces).join(replaced, and_(
                replaced.c.campaign_id == calls.c.campaign_id, replaced.c.national_id == calls.c.replaces)).where(
                calls.c.campaign_id == campaign_id, calls.c.region.in_(list(releases)), calls.c.replaces.is_not(None),
                calls.c.release_reason.is_(None), replaced.c.release_reason.is_(None)).order_by(calls.c.position)):
            self.regions[row.region].supernumerary.append({"position": row.position, "national_id": row.national_id,
                                                           "replaces": row.replaces})
        self.renamed: dict[str, str] = {}  # supernumerary calls the list has made fill another person's call

    def release(self, region: str, national_id: str) -> tuple[str, tuple[str, int] | None, list[int]]:
        """How the live call of `national_id` is filled when it ends: (filled_by, who is called instead and at which
        position, the reserve positions passed over); the region's state follows the release (the module's rule)."""
        state = self.regions[region]
        own = next((s for s in state.supernumerary if s["national_id"] == national_id), None)
        # the supernumerary call that names this person takes their call back; else the first by position
        spare = None if own is not None else next((s for s in state.supernumerary if s["replaces"] == national_id),
                                                  next(iter(state.supernumerary), None))
        # Supernumerary calls that named this person now name whoever holds the call: the spare that fills it, or,
        # for a call that was itself beyond the number, the person it named.
        heir = own["replaces"] if own is not None else spare["national_id"] if spare is not None else None
        for s in state.supernumerary:
            if s["replaces"] == national_id and s is not spare and heir is not None:
                s["replaces"] = self.renamed[s["national_id"]] = heir
        state.supernumerary = [s for s in state.supernumerary if s is not own and s is not spare]
        if own is not None:  # a call beyond the region's number ends: the region is back at its number, nobody fills it
            return "beyond", None, []
        if spare is not None:  # nobody new is called: the supernumerary now fills this call
            self.renamed[spare["national_id"]] = national_id
            return "supernumerary", (spare["national_id"], spare["position"]), []
        nxt = self._next_in_reserve(state)
        if nxt is None:
            end = self.uow.execute(select(func.coalesce(func.max(order.c.position), 0)).where(
                order.c.campaign_id == self.campaign_id, order.c.region == region)).scalar_one() + 1
            return "nobody", None, list(range(state.last + 1, end))
        skipped = list(range(state.last + 1, nxt[1]))
        state.last = nxt[1]
        return "reserve", nxt, skipped

    def _next_in_reserve(self, state: _Region) -> tuple[str, int] | None:
        """The first position after the last called whose person is alive: calls are made in position order, so the
        reserve continues after the last position called (a passed-over person is never called later)."""
        while True:
            state.ahead = [a for a in state.ahead if a[0] > state.last]
            found = next(((nid, position) for position, nid, alive in state.ahead if alive), None)
            if found is not None or state.exhausted:
                return found
            # The first read takes every region of the list not read yet; a region read through reads on alone.
            self._read_ahead([r for r in self.regions.values() if r.read_to is None or r is state])

    def _read_ahead(self, wanting: list[_Region]) -> None:
        """The next window of each region's reserve, and who of them is alive, in one statement (and one of the
        register) for them all."""
        start = {r.name: r.last if r.read_to is None else r.read_to for r in wanting}
        rows = self.uow.execute(select(order.c.region, order.c.position, order.c.national_id).where(
            order.c.campaign_id == self.campaign_id,
            or_(*(and_(order.c.region == r.name, order.c.position > start[r.name], order.c.position <= start[r.name] + r.width)
                  for r in wanting))).order_by(order.c.position)).all()
        alive = alive_among(self.uow, [row.national_id for row in rows])
        for r in wanting:
            mine = [(row.position, row.national_id, row.national_id in alive) for row in rows if row.region == r.name]
            r.ahead.extend(mine)
            r.read_to = start[r.name] + r.width
            if not mine:  # nothing in the window: the order ends here, unless its positions go on further
                further = self.uow.execute(select(func.min(order.c.position)).where(
                    order.c.campaign_id == self.campaign_id, order.c.region == r.name,
                    order.c.position > r.read_to)).scalar_one()
                r.exhausted = further is None
                r.read_to = r.read_to if further is None else int(further) - 1


@dataclasses.dataclass(frozen=True)
class _Released:
    """One release of a list, as it is written: the call ended and how it was filled."""

    national_id: str
    reason: ReleaseReason
    region: str
    filled: str  # Replacement.filled_by
    called: tuple[str, int] | None  # who fills the call, at which position
    skipped: list[int]

    @property
    def named(self) -> list[str]:
        return [self.national_id, *([self.called[0]] if self.called else [])]


def replace(uow: UnitOfWork, name: str, national_id: str, reason: ReleaseReason | str) -> Replacement:
    """Release `national_id` from the campaign for `reason` and fill their call: by nobody when it is itself
    supernumerary, else by the region's first supernumerary call, else by the next person in reserve (the
    module's rule); recorded in the campaign's replacements record.

    In the caller's unit of work, so a decision that releases someone and the replacement it
    causes commit together. `NotCalled` when the person is not called (or is outside the
    actor's regions: the same answer). The call only: a use case releases through
    `notices.releases.release`, which cancels the person's summons too.
    """
    return replace_each(uow, name, [(national_id, reason)])[0]


def replace_each(uow: UnitOfWork, name: str, items: Sequence[tuple[str, ReleaseReason | str]]) -> list[Replacement]:
    """`replace` for each (national id, reason) of `items`, in their order, exactly as one after another would (who
    fills a call depends on the releases before it), in a few statements whatever their number: the campaign locked
    and the list's calls read once, their regions' supernumerary calls and reserves read together, the calls, the
    record's entries and the audit entries written together. All or none: one not called refuses the list."""
    uow.ctx.require(Role.administrator, Role.officer, Role.medical, Role.system, doing="releasing a called person")
    wanted = [(n.strip(), r if isinstance(r, ReleaseReason) else parse_reason(r)) for n, r in items]
    if not wanted:
        return []
    conn = uow.conn
    campaign = _campaign_for_update(conn, name)
    known = {r["national_id"]: dict(r) for r in conn.execute(select(calls).where(
        calls.c.campaign_id == campaign.id, calls.c.national_id.in_({n for n, _ in wanted}))).mappings()}
    ended = [n for n, row in known.items() if row["release_reason"] is not None]
    filled_by: dict[str, tuple[str, int] | None] = {  # who fills each ended call (releasing them again names them)
        r.replaces: (r.national_id, r.position) for r in conn.execute(select(calls.c.replaces, calls.c.national_id, calls.c.position)
                                                                      .where(calls.c.campaign_id == campaign.id, calls.c.replaces.in_(ended)))}
    regions = Counter(row["region"] for n, _ in wanted if (row := known.get(n)) is not None and row["release_reason"] is None)
    filling = _Filling(uow, campaign.id, regions) if regions else None
    now, done, written, new_calls = uow.now(), [], [], []
    for national_id, reason in wanted:
        call = known.get(national_id)
        not_called = NotCalled(f"that person is not called in campaign {name!r}")
        if call is None:
            raise not_called
        uow.ctx.check_visible(call["region"], national_id, error=not_called)
        if call["release_reason"] is not None:
            previous = filled_by.get(national_id)
            done.append(Replacement(name, national_id, enum_value(call["release_reason"]), call["region"],
                                    previous[0] if previous else None, previous[1] if previous else None, already_done=True))
            continue
        assert filling is not None  # the region of every live call of the list was read
        filled, nxt, skipped = filling.release(call["region"], national_id)
        call["release_reason"], filled_by[national_id] = reason, nxt
        if filled == "reserve" and nxt is not None:
            new_calls.append(dict(campaign_id=campaign.id, national_id=nxt[0], region=call["region"], position=nxt[1],
                                  source=CallSource.replacement, replaces=national_id, called_at=now))
            known[nxt[0]] = {**new_calls[-1], "release_reason": None}  # a later item of the list may release them
        written.append(_Released(national_id, reason, call["region"], filled, nxt, skipped))
        done.append(Replacement(name, national_id, reason.value, call["region"], nxt[0] if nxt else None,
                                nxt[1] if nxt else None, already_done=False, filled_by=filled))
    if written:
        _write(uow, name, campaign.id, written, new_calls, [{"_nid": n, "_replaces": r} for n, r in filling.renamed.items()]
               if filling is not None else [])
    return done


def _write(uow: UnitOfWork, name: str, campaign_id: int, written: list[_Released], new_calls: list[dict[str, Any]],
           renamed: list[dict[str, Any]]) -> None:
    """The list's releases into the store: new calls, supernumerary calls now naming another person, ended calls (one
    statement each for the whole list), their audit entries and the record's entries, in the list's order."""
    conn = uow.conn
    if new_calls:
        conn.execute(calls.insert(), new_calls)
    if renamed:
        conn.execute(update(calls).where(calls.c.campaign_id == campaign_id, calls.c.national_id == bindparam("_nid"))
                     .values(replaces=bindparam("_replaces")), renamed)
    conn.execute(update(calls).where(calls.c.campaign_id == campaign_id, calls.c.national_id == bindparam("_nid"))
                 .values(release_reason=bindparam("_reason"), released_at=uow.now()),
                 [{"_nid": w.national_id, "_reason": w.reason} for w in written])
    named = [n for w in written for n in w.named]
    uow.will_name(named)
    pseudonyms = _pseudonyms(conn, campaign_id, named)
    for w in written:
        if w.filled == "reserve" and w.called is not None:
            uow.record(events.PersonCalled(target=person(w.called[0]), campaign=name, replaces=w.national_id,
                                           position=w.called[1]))
        uow.record(events.PersonReleased(target=person(w.national_id), campaign=name, release_reason=w.reason.value,
                                         replaced_by=w.called[0] if w.called else None))
    _append(uow, campaign_id, [functools.partial(
        record.release_entry, region=w.region, pseudonym=pseudonyms[w.national_id], reason=w.reason.value,
        filled_by="nobody" if w.filled == "beyond" else w.filled, called=pseudonyms[w.called[0]] if w.called else None,
        position=w.called[1] if w.called and w.filled == "reserve" else None, skipped=w.skipped) for w in written])


@dataclasses.dataclass(frozen=True)
class Restored:
    """A call given back: who is now beyond the region's number for it (the one given it back, whoever holds their
    call, or nobody when nobody does)."""

    beyond: str | None


def restore_call(uow: UnitOfWork, campaign_id: int, national_id: str, reason: str, kept: str | None) -> Restored | None:
    """Give a released person their call back (an overturned decision); `kept` (who filled it) keeps theirs, beyond
    the region's number. More generally (docs/lottery.md, the restore rule): if the call this person's call filled is
    held by someone live, they are beyond the number; else whoever holds their call now is.

    None, changing nothing, when the person's call is not released for `reason`.
    """
    if uow.conn.dialect.name == "postgresql":  # one writer of the record at a time, as replace does
        uow.execute(select(campaigns.c.id).where(campaigns.c.id == campaign_id).with_for_update())
    where = and_(calls.c.campaign_id == campaign_id, calls.c.national_id == national_id, calls.c.release_reason == reason)
    if uow.execute(update(calls).where(where).values(release_reason=None, released_at=None)).rowcount != 1:
        return None
    region = uow.execute(select(calls.c.region).where(calls.c.campaign_id == campaign_id,
                                                      calls.c.national_id == national_id)).scalar_one()
    held = _holding(uow, campaign_id, national_id)
    beyond: str | None = national_id
    if held is not None:  # the call theirs filled is held by someone live: they are beyond the number
        _names(uow, campaign_id, national_id, held)
    elif (holder := _holder(uow, campaign_id, national_id, national_id)) is not None:  # theirs counts: its holder is beyond
        _names(uow, campaign_id, holder, national_id)
        beyond = holder
    else:  # the one named by the release they filled (their replacement, live), or nobody
        beyond = uow.execute(select(calls.c.national_id).where(
            calls.c.campaign_id == campaign_id, calls.c.replaces == national_id, calls.c.release_reason.is_(None)).limit(1)).scalar()
    pseudonyms = _pseudonyms(uow.conn, campaign_id, [national_id, *([kept] if kept else [])])
    _append(uow, campaign_id, [functools.partial(record.restore_entry, region=region, pseudonym=pseudonyms[national_id],
                                                 kept=pseudonyms[kept] if kept else None)])
    return Restored(beyond)


def _holder(uow: UnitOfWork, campaign_id: int, person: str, restored: str) -> str | None:
    """Who holds `person`'s call now, `restored` apart: them while live, else (or when they are `restored`) the live
    call, not beyond the number, that fills it through released ones (their replacement, or its, and so on)."""
    frontier, seen = [person], {person}
    if person != restored and _live(uow, campaign_id, person):
        return person
    while frontier:
        children = [r for r in uow.execute(select(calls.c.national_id, calls.c.release_reason, calls.c.replaces).where(
            calls.c.campaign_id == campaign_id, calls.c.replaces.in_(frontier))).all()
            if r.national_id not in seen and r.national_id != restored]
        seen.update(r.national_id for r in children)
        for r in sorted(children, key=lambda r: r.national_id):
            # a live child of a released call fills it; one of `restored` (live again) is beyond the number already
            if r.release_reason is None and r.replaces != restored:
                return str(r.national_id)
        frontier = [r.national_id for r in children if r.release_reason is not None]
    return None


def _holding(uow: UnitOfWork, campaign_id: int, restored: str) -> str | None:
    """The live person, `restored` apart, who holds the call `restored`'s call filled, or the call that one's filled,
    and so on up; None when nobody does."""
    held = uow.execute(select(calls.c.replaces).where(calls.c.campaign_id == campaign_id,
                                                      calls.c.national_id == restored)).scalar()
    seen: set[str] = set()
    while held is not None and held not in seen:
        seen.add(held)
        holder = _holder(uow, campaign_id, held, restored)
        if holder is not None:
            return holder
        held = uow.execute(select(calls.c.replaces).where(calls.c.campaign_id == campaign_id,
                                                          calls.c.national_id == held)).scalar()
    return None


def _live(uow: UnitOfWork, campaign_id: int, national_id: str) -> bool:
    call = uow.execute(select(calls.c.release_reason).where(calls.c.campaign_id == campaign_id,
                                                            calls.c.national_id == national_id)).first()
    return call is not None and call.release_reason is None


def _names(uow: UnitOfWork, campaign_id: int, replacement: str, person: str) -> None:
    """`replacement`'s call now fills `person`'s (who is live: it is beyond the region's number)."""
    uow.execute(update(calls).where(calls.c.campaign_id == campaign_id, calls.c.national_id == replacement)
                .values(replaces=person))


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


def _pseudonyms(conn: Connection, campaign_id: int, ids: list[str]) -> dict[str, str]:
    rows = conn.execute(select(pool.c.national_id, pool.c.pseudonym).where(pool.c.campaign_id == campaign_id,
                                                                          pool.c.national_id.in_(ids)))
    return {r.national_id: r.pseudonym for r in rows}


def _append(uow: UnitOfWork, campaign_id: int, builds: list[Any]) -> None:
    """Append the entries `build(seq=, previous=, draw_record=, date=)` makes, for each of `builds` in order, to the
    campaign's record, chained one to the next, in one INSERT."""
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
    date, rows = uow.now().astimezone(dt.UTC).date().isoformat(), []
    for build in builds:
        seq += 1
        line = record.entry_line(build(seq=seq, previous=head or draw_hash, draw_record=draw_hash, date=date))
        head = record.line_hash(line)
        rows.append(dict(campaign_id=campaign_id, seq=seq, line=line.decode("utf-8"), hash=head))
    conn.execute(log.insert(), rows)
