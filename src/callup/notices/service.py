"""Summons use cases: issue, publish, cancel, record delivery from evidence, appearance, moves.

Every called person of a drawn campaign has exactly one live summons (a partial unique index
holds it). Each step is a transition of the `NOTICE` table; delivery is recorded only from
evidence (a postal receipt with file and line, the person opening or acknowledging it in the
portal) or by the policy's explicit deemed-delivery rule, and the summons says which. Audit
entries are one per step and file (with counts), plus one per person-level decision.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import pathlib
from collections import Counter
from collections.abc import Sequence
from typing import Any, ClassVar, cast

from sqlalchemy import Connection, String, Table, and_, any_, bindparam, case, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement

from callup.audit import AuditEvent, person
from callup.campaigns import calls
from callup.campaigns.kinds import CampaignStatus
from callup.context import Context, Role
from callup.errors import InputError
from callup.file_output import rejects_file, write_rejects
from callup.notices.errors import NoticeNotFound, NoticeStateError, PostalFileError
from callup.notices.offices import Office, parse_offices
from callup.notices.reference import check_code, hash_code, new_code, new_reference, parse_reference
from callup.notices.schedule import Appointment, Called, move_appointment, schedule
from callup.notices.tables import LIVE, NOTICE, Appearance, CampaignOffices, NoticeStatus, PostalFile, Summons
from callup.register.queries import postcodes_and_languages
from callup.small_csv import read_rows
from callup.store.columns import enum_value as _value
from callup.store.steps import step_each_returning, step_rows
from callup.uow import UnitOfWork

summonses = cast(Table, Summons.__table__)
# Built once: every step on a summons reads it by its reference first.
_SUMMONS = select(summonses).where(summonses.c.reference == bindparam("reference"))
#: Every column of a summons but the one-time code (never shown, and not decrypted to be shown).
_SHOWN = [c for c in summonses.c if c.name != "code"]
_SUMMONS_LOCKED = _SUMMONS.with_for_update()
OFFICERS = (Role.administrator, Role.officer, Role.system)
LIVE_VALUES = tuple(s.value for s in LIVE)
#: Summonses whose code signs in: live ones, and cancelled ones (the call ended; the outcome and appeal are online).
SIGN_IN_VALUES = (*LIVE_VALUES, NoticeStatus.cancelled.value)


# --- audit events -------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class SummonsesIssued(AuditEvent):
    """notices.issue: summonses were issued to called people (counts; shortfall where offices were full)."""

    action: ClassVar[str] = "notices.issue"
    issued: int
    unplaced: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class NoticesPublished(AuditEvent):
    """notices.publish: summonses were published on the portal."""

    action: ClassVar[str] = "notices.publish"
    published: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class PostalFileImported(AuditEvent):
    """notices.postal: a receipts or returns file from the post was applied."""

    action: ClassVar[str] = "notices.postal"
    kind: str
    sha256: str
    applied: int
    already: int
    rejected: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class DeemedDelivered(AuditEvent):
    """notices.deem: the policy's deemed-delivery rule was applied to unconfirmed notices."""

    action: ClassVar[str] = "notices.deem"
    on: str
    delivered: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class SummonsChanged(AuditEvent):
    """notices.change: one summons changed (acknowledged, opened, cancelled, moved, appearance recorded)."""

    action: ClassVar[str] = "notices.change"
    reference: str
    step: str
    detail: str | None = None


# --- results ------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class IssueResult:
    campaign: str
    issued: int
    already_live: int
    unplaced: dict[str, int]


@dataclasses.dataclass(frozen=True)
class PostalResult:
    file: str
    kind: str
    applied: int
    already: int
    rejected: int
    rejects_file: str | None
    already_imported: bool


@dataclasses.dataclass(frozen=True)
class SummonsView:
    """A summons as its person and an officer see it (the code is never part of it)."""

    reference: str
    campaign: str
    region: str
    pseudonym: str
    rank: int
    status: str
    office: str
    date: dt.date
    start: dt.time
    end: dt.time
    printed_at: dt.datetime | None
    published_at: dt.datetime | None
    delivered_at: dt.datetime | None
    delivery_source: str | None
    delivery_evidence: str | None
    acknowledged_at: dt.datetime | None
    closed_reason: str | None
    appearance: str | None
    appearance_at: dt.datetime | None = None


# --- helpers ------------------------------------------------------------------------------------------


def _campaign(uow: UnitOfWork, name: str) -> calls.CampaignFacts:
    from callup.campaigns.errors import CampaignNotFound

    row = calls.campaign_facts(uow, name=name)
    if row is None:
        raise CampaignNotFound(f"no campaign named {name!r}", field="campaign")
    return row


def _campaign_of(uow: UnitOfWork, campaign_id: int) -> calls.CampaignFacts:
    """The campaign of a summons (every summons has one)."""
    from callup.campaigns.errors import CampaignNotFound

    row = calls.campaign_facts(uow, by_id=campaign_id)
    if row is None:
        raise CampaignNotFound(f"no campaign with the id {campaign_id}", field="campaign")
    return row


def code_key(ctx: Context) -> bytes:
    """The key of sign-in code hashes: derived from the current encryption key, never stored."""
    ring = ctx.keyring()
    return hmac.new(ring.keys[ring.current], b"callup sign-in codes v1", hashlib.sha256).digest()


#: offices file SHA-256 -> its offices and, by code, each as a person reads it ("name, address"): parsed once per
#: recorded file and process, so issuing, moving and printing, the reminders and the portal's pages do not parse it again
_PARSED: dict[str, tuple[tuple[Office, ...], dict[str, str]]] = {}


def _recorded(uow: UnitOfWork, campaign_id: int) -> tuple[tuple[Office, ...], dict[str, str]] | None:
    t = CampaignOffices.__table__
    row = uow.execute(select(t.c.sha256, t.c.source).where(t.c.campaign_id == campaign_id)).first()
    if row is None:
        return None
    if row.sha256 not in _PARSED:
        content = uow.execute(select(t.c.content).where(t.c.campaign_id == campaign_id)).scalar_one()
        offices = tuple(parse_offices(content, source=row.source))
        _PARSED[row.sha256] = offices, {o.code: ", ".join([o.name, *o.address]) for o in offices}
    return _PARSED[row.sha256]


def _offices(uow: UnitOfWork, campaign_id: int) -> list[Office]:
    recorded = _recorded(uow, campaign_id)
    if recorded is None:
        raise NoticeStateError("no summonses have been issued for this campaign yet (no offices recorded)")
    return list(recorded[0])


def _places(uow: UnitOfWork, campaign_id: int) -> dict[str, str]:
    """The campaign's offices as a person reads them, by code: "name, address" (none before its summonses)."""
    recorded = _recorded(uow, campaign_id)
    return recorded[1] if recorded is not None else {}


def office_places(uow: UnitOfWork, campaign: str) -> dict[str, str]:
    """The offices of the campaign named `campaign` as a person reads them, by code: "name, address"."""
    campaign_id = calls.campaign_id(uow, campaign)
    return _places(uow, campaign_id) if campaign_id is not None else {}


def _load(uow: UnitOfWork, offices: list[Office] | None = None) -> Counter:
    """People per slot (office, date, start) among live summonses, at `offices` only when given
    (a move needs its region's offices, not a count over every summons)."""
    query = select(summonses.c.office, summonses.c.date, summonses.c.start, func.count()).where(
        summonses.c.status.in_(LIVE_VALUES))
    if offices is not None:
        query = query.where(summonses.c.office.in_([o.code for o in offices]))
    rows = uow.execute(query.group_by(summonses.c.office, summonses.c.date, summonses.c.start)).all()
    return Counter({(r[0], r[1], r[2]): r[3] for r in rows})


def _lock_slots(uow: UnitOfWork, slot: tuple[str, dt.date, dt.time] | None = None) -> None:
    """Hold appointment slots until the transaction ends, so that counting a slot's people and booking
    it cannot interleave with another booking (two movers into its last place, an issue run).

    Issuing takes every slot (an exclusive lock); a move takes its target `slot` (a shared lock on all
    slots and an exclusive one on its own), so moves into different slots still run side by side.
    PostgreSQL: transaction advisory locks, released at commit or rollback (also of a killed process).
    SQLite needs none: a write transaction holds the database's write lock from its start."""
    if uow.conn.dialect.name != "postgresql":
        return
    key = "hashtextextended(current_schema() || :name, 0)"
    lock = "pg_advisory_xact_lock" if slot is None else "pg_advisory_xact_lock_shared"
    uow.execute(text(f"SELECT {lock}({key})"), {"name": "/notices.slots"})
    if slot is not None:
        office, date, start = slot
        uow.execute(text(f"SELECT pg_advisory_xact_lock({key})"),
                    {"name": f"/notices.slot/{office}/{date.isoformat()}/{start.isoformat()}"})


def _summons(uow: UnitOfWork, reference: str, *, lock: bool = False) -> Any:
    """The summons with `reference`, if the actor may see it; `NoticeNotFound` otherwise (same answer)."""
    reference = parse_reference(reference)
    query = _SUMMONS_LOCKED if lock and uow.conn.dialect.name == "postgresql" else _SUMMONS
    row = uow.execute(query, {"reference": reference}).mappings().first()
    uow.ctx.check_visible(row and row["region"], row and row["national_id"],
                          error=NoticeNotFound("no summons with that reference", field="reference"))
    return row


def _step(uow: UnitOfWork, row: Any, step: str, **values: Any) -> Any:
    """Apply `step` to the summons `row` through the transition table; returns the row as the step left it."""
    new = NOTICE.step(row["status"], step, subject=f"summons {row['reference']}")
    return uow.execute(update(summonses).where(summonses.c.id == row["id"]).values(status=new, **values)
                       .returning(*_SHOWN)).mappings().one()


# --- issue --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _ToSummon:
    national_id: str
    region: str
    postcode: str
    language: str | None
    pseudonym: str
    rank: int


def issue_summonses(uow: UnitOfWork, campaign: str, *, offices_path: pathlib.Path | None = None,
                    default_offices: pathlib.Path | None = None) -> IssueResult:
    """Issue a summons to every called person of a drawn campaign who has no live one.

    The first run records the offices file (`offices_path`, else `default_offices`; one is required
    then); later runs (after replacements) schedule into the same offices around the appointments
    already given, and refuse an `offices_path` that is not the recorded file.
    Concurrent runs take turns (the slots are locked), so the second finds nobody left to issue to.
    Appointments fill each region's offices from the window's start, in postcode order, within
    every slot's capacity; people who do not fit are counted per region (`unplaced`), not dropped.
    """
    uow.ctx.require(Role.administrator, Role.system, doing="issuing summonses")
    c = _campaign(uow, campaign)
    if _value(c.status) not in (CampaignStatus.drawn.value, CampaignStatus.closed.value):
        raise NoticeStateError(f"campaign {campaign!r} is {_value(c.status)}: summonses follow the draw")
    _lock_slots(uow)
    table = cast(Table, CampaignOffices.__table__)
    recorded = uow.execute(select(table.c.sha256).where(table.c.campaign_id == c.id)).scalar()
    policy = uow.ctx.policy()
    given = None
    if offices_path is not None or recorded is None:
        from callup.notices.offices import load_offices

        given = offices_path or default_offices
        if given is None:
            raise InputError("the first issue of a campaign needs the offices file", field="offices")
        offices = load_offices(given, regions=policy.region_codes)
        content = pathlib.Path(given).read_text(encoding="utf-8-sig")
        sha256 = hashlib.sha256(content.encode()).hexdigest()
    if recorded is None:
        uow.execute(insert(table).values(campaign_id=c.id, source=str(given), content=content, sha256=sha256))
    else:
        if given is not None and sha256 != recorded:
            raise InputError(f"{given}: the campaign's appointments were given with another offices file; "
                             "later issues use that one (leave out --offices)", field="offices")
        offices = _offices(uow, c.id)
    live = select(summonses.c.national_id).where(summonses.c.campaign_id == c.id, summonses.c.status.in_(LIVE_VALUES))
    summoned = set(uow.execute(live).scalars())
    called = [r for r in calls.live_calls(uow, c.id) if r.national_id not in summoned]
    postal = postcodes_and_languages(uow, (r.national_id for r in called))  # people not on the register are not summoned
    todo = sorted((_ToSummon(r.national_id, r.region, *postal[r.national_id], r.pseudonym, r.rank)
                   for r in called if r.national_id in postal), key=lambda r: (r.region, r.postcode, r.national_id))
    already = uow.execute(select(func.count()).select_from(live.subquery())).scalar_one()
    today = uow.ctx.today()
    version = policy.in_force(today)
    # The policy's notice: nobody is summoned to appear sooner than `response_days` from today.
    start = max(c.window_start, today + dt.timedelta(days=version.notices.response_days))
    if start > c.window_end:
        raise NoticeStateError(f"campaign {campaign!r}: its window ends on {c.window_end}, and no appointment may be "
                               f"sooner than {version.notices.response_days} days from today ({today}): nothing can be issued")
    window = (start, c.window_end)
    plan = schedule([Called(r.national_id, r.region, (r.postcode, r.national_id)) for r in todo], offices, window,
                    booked=_load(uow))
    key, now = code_key(uow.ctx), uow.now()
    expires = today + dt.timedelta(days=version.notices.code_valid_days)
    rows = []
    for r in todo:
        appointment = plan.appointments.get(r.national_id)
        if appointment is None:
            continue
        reference, code = new_reference(uow.ctx.random), new_code(uow.ctx.random)
        rows.append(dict(campaign_id=c.id, national_id=r.national_id, region=r.region, reference=reference,
                         pseudonym=r.pseudonym, rank=r.rank, postcode=r.postcode, language=r.language or version.notices.language,
                         office=appointment.office, date=appointment.date, start=appointment.start, end=appointment.end,
                         original_date=appointment.date, code=code, code_hash=hash_code(code, reference=reference, key=key),
                         code_expires=expires, status=NoticeStatus.created, issued_at=now))
    for i in range(0, len(rows), 5000):
        uow.execute(insert(summonses), rows[i:i + 5000])
    unplaced = plan.shortfall
    if rows or recorded is None:  # a run that changed nothing (all already summoned) leaves no entry
        uow.record(SummonsesIssued(target=f"campaign:{campaign}", issued=len(rows), unplaced=sum(unplaced.values())))
    return IssueResult(campaign, len(rows), already, dict(unplaced))


# --- publish and cancel -------------------------------------------------------------------------------


def publish_notices(uow: UnitOfWork, campaign: str) -> int:
    """Publish every live summons of the campaign on the portal (idempotent); returns how many were new."""
    uow.ctx.require(Role.administrator, Role.system, doing="publishing notices")
    c = _campaign(uow, campaign)
    now = uow.now()
    base = and_(summonses.c.campaign_id == c.id, summonses.c.published_at.is_(None), summonses.c.status.in_(LIVE_VALUES))
    # A bulk transition: created -> sent, the table's "send" step; other live states keep theirs.
    first = sum(step_rows(uow, NOTICE, summonses, base, "send", published_at=now).values())
    rest = uow.execute(update(summonses).where(base).values(published_at=now)).rowcount
    uow.record(NoticesPublished(target=f"campaign:{campaign}", published=first + rest))
    return first + rest


def cancel_for_releases(uow: UnitOfWork, campaign: str, released: list[tuple[str, str]]) -> dict[str, str]:
    """Cancel the live summonses of people released from `campaign` together, each (national id, reason) of
    `released` (in the releases' transaction, `releases.release_many`): read and cancelled in one statement each
    whatever their number; the reference cancelled for each who had one."""
    reasons = {n.strip(): reason for n, reason in released}
    if not reasons:
        return {}
    rows = uow.execute(select(summonses).where(summonses.c.campaign_id == _campaign(uow, campaign).id,
                                               summonses.c.national_id.in_(reasons), summonses.c.status.in_(LIVE_VALUES))
                       .order_by(summonses.c.id)).mappings().all()
    now = uow.now()
    step_each_returning(uow, NOTICE, summonses, [(row["id"], row["status"], {"closed_at": now, "closed_reason": reasons[row["national_id"]]})
                                                 for row in rows], "cancel", subject="a released person's summons")
    by_person = {row["national_id"]: row for row in rows}
    for national_id in reasons:  # the audit entries in the order of the releases
        if (row := by_person.get(national_id)) is not None:
            uow.record(SummonsChanged(target=person(national_id), reference=row["reference"], step="cancel",
                                      detail=reasons[national_id]))
    return {n: row["reference"] for n, row in by_person.items()}


# --- delivery evidence --------------------------------------------------------------------------------


def acknowledge(uow: UnitOfWork, reference: str, *, evidence: str) -> SummonsView:
    """The person confirms the summons (portal or counter): delivery and acknowledgement, with the evidence.

    One statement where the summons may be acknowledged (the portal's busiest write): the UPDATE itself asks the
    machine's states and the actor's sight; otherwise the summons is read for the answer one would give alone."""
    uow.ctx.require(Role.citizen, *OFFICERS, doing="acknowledging a summons")
    reference = parse_reference(reference)
    now = uow.now()
    statement = _ACKNOWLEDGE
    if (seen := uow.ctx.visible_filter(summonses.c.region, summonses.c.national_id)) is not None:
        statement = statement.where(seen)
    after = uow.execute(statement, {"_reference": reference, "_now": now, "_evidence": evidence}).mappings().first()
    if after is None:  # not theirs, not found, acknowledged already or in a state that does not allow it
        row = _summons(uow, reference)
        if _value(row["status"]) == NoticeStatus.acknowledged.value:
            return _view(uow, row)
        NOTICE.step(row["status"], "acknowledge", subject=f"summons {row['reference']}")
        raise NoticeStateError(f"summons {row['reference']} changed while it was being acknowledged: look at it again")
    uow.record(SummonsChanged(target=person(after["national_id"]), reference=after["reference"], step="acknowledge",
                              detail=evidence))
    return _view(uow, after)


#: The states an acknowledgement moves a summons from, and to: the machine's.
_ACKNOWLEDGING = {state: new for state, step, new in NOTICE.paths() if step == "acknowledge"}
_UNPROVED = summonses.c.delivered_at.is_(None)  # nothing proved delivery before: the acknowledgement does
# Built once (the portal's busiest write); the actor's sight is added to it per call.
_ACKNOWLEDGE = update(summonses).where(
    summonses.c.reference == bindparam("_reference"), summonses.c.status.in_(sorted(_ACKNOWLEDGING))).values(
    status=case(_ACKNOWLEDGING, value=summonses.c.status), acknowledged_at=bindparam("_now"),
    delivered_at=func.coalesce(summonses.c.delivered_at, bindparam("_now")),
    delivery_source=case((_UNPROVED, "acknowledgement"), else_=summonses.c.delivery_source),
    delivery_evidence=case((_UNPROVED, bindparam("_evidence")), else_=summonses.c.delivery_evidence)).returning(*_SHOWN)


def opening_delivers(uow: UnitOfWork, reference: str) -> bool:
    """Whether opening summons `reference` in the portal now would be its delivery (published and not yet
    delivered): the portal says so, with the deadlines it starts, before it opens."""
    row = _summons(uow, reference)
    return row["published_at"] is not None and row["delivered_at"] is None and NOTICE.can(row["status"], "deliver")


def deemed_on(uow: UnitOfWork, view: SummonsView) -> dt.date | None:
    """The day the policy's rule deems summons `view` delivered on the portal if it is never opened, if it has one."""
    if view.published_at is None:
        return None
    days = uow.ctx.policy().in_force(uow.ctx.today()).notices.deemed_delivered_days.get("portal")
    at = view.published_at if view.published_at.tzinfo else view.published_at.replace(tzinfo=dt.UTC)
    return None if days is None else at.astimezone(dt.UTC).date() + dt.timedelta(days=days)


def opened_in_portal(uow: UnitOfWork, reference: str, *, session: str) -> None:
    """The person opened their published summons in the portal: proof of delivery (first time only)."""
    row = _summons(uow, reference, lock=True)
    if row["published_at"] is None or row["delivered_at"] is not None or not NOTICE.can(row["status"], "deliver"):
        return
    _step(uow, row, "deliver", delivered_at=uow.now(), delivery_source="portal", delivery_evidence=f"portal session {session}")
    uow.record(SummonsChanged(target=person(row["national_id"]), reference=row["reference"], step="deliver", detail="portal"))


def _postal_file(uow: UnitOfWork, path: pathlib.Path, kind: str) -> tuple[str, bool]:
    if path.is_dir() or not path.exists():
        raise PostalFileError(f"{path}: {'is a directory' if path.is_dir() else 'no such file'}", field="file")
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    table = PostalFile.__table__
    seen = uow.execute(select(table.c.id).where(table.c.kind == kind, table.c.sha256 == sha)).first()
    return sha, seen is not None


#: Who records what the post reports.
POSTAL = (Role.administrator, Role.officer, Role.system)


def import_postal_file(uow: UnitOfWork, path: pathlib.Path, *, kind: str, rejects_path: pathlib.Path | None = None) -> PostalResult:
    """Apply a postal `receipts` file (reference,delivered_on) or `returns` file (reference,returned_on,reason).

    Every row is checked first; bad rows (unknown reference, bad date, a step the summons'
    state does not allow) go to the rejects file with line and reason; the good rows are
    applied in this one transaction (`record_postal`). The same file imported again changes nothing; a summons the
    post already delivered (or returned) counts as already recorded, whatever has happened to it since.
    """
    uow.ctx.require(*POSTAL, doing="importing postal files")
    path = pathlib.Path(path)
    sha, seen = _postal_file(uow, path, kind)
    date_column = "delivered_on" if kind == "receipts" else "returned_on"
    if seen:
        return PostalResult(str(path), kind, 0, 0, 0, None, already_imported=True)
    rejects: list[tuple[int, str]] = []
    events, lines = [], []
    for line, row in read_rows(path, ("reference", date_column), field="file"):
        try:
            day = dt.date.fromisoformat(row[date_column])
        except ValueError:
            rejects.append((line, f"{date_column}: {row[date_column]!r} is not a date (YYYY-MM-DD)"))
            continue
        events.append(PostalEvent(row["reference"], day, f"{path.name} line {line}", row.get("reason") or None))
        lines.append(line)
    applied, already, refused = record_postal(uow, kind, events)
    rejects = sorted(rejects + [(lines[i], why) for i, why in refused.items()])
    written = write_rejects(rejects_file(path, rejects_path), rejects, field="rejects") if rejects else None
    uow.execute(insert(cast(Table, PostalFile.__table__)).values(kind=kind, source=str(path), sha256=sha, rows_applied=applied,
                                                    rows_rejected=len(rejects), imported_at=uow.now()))
    uow.record(PostalFileImported(target=f"postal:{kind}", kind=kind, sha256=sha, applied=applied, already=already,
                                  rejected=len(rejects)))
    return PostalResult(str(path), kind, applied, already, len(rejects), written, already_imported=False)


@dataclasses.dataclass(frozen=True)
class PostalEvent:
    """One line of the post's report: the summons, the day the post delivered it (a receipt) or returned it, where the
    line is written (a delivery's evidence) and why the post returned it."""

    reference: str
    on: dt.date
    evidence: str
    reason: str | None = None


def record_postal(uow: UnitOfWork, kind: str, events: Sequence[PostalEvent]) -> tuple[int, int, dict[int, str]]:
    """The post's `receipts` (deliveries) or `returns`, in a few statements whatever their number, each summons by the
    same rule as alone: (applied, already recorded, the refused by their index in `events`, with the reason). A
    summons delivered or returned already counts as already recorded, whichever line said so first."""
    uow.ctx.require(*POSTAL, doing="importing postal files")
    if kind not in ("receipts", "returns"):
        raise InputError(f"the post reports receipts or returns, not {kind!r}", field="kind")
    step, done = ("deliver", "delivered_at") if kind == "receipts" else ("return", "returned_at")
    refused: dict[int, str] = {}
    wanted: dict[int, str] = {}
    for i, event in enumerate(events):
        try:
            wanted[i] = parse_reference(event.reference)
        except InputError as exc:
            refused[i] = exc.message
    rows = _summonses_by_reference(uow, set(wanted.values()))
    taking: dict[int, tuple[Any, Any, dict[str, Any]]] = {}  # summons id -> (id, status read, values)
    already = 0
    for i, event in enumerate(events):
        if i in refused:
            continue
        row = rows.get(wanted[i])
        if row is None:
            refused[i] = "no summons with that reference"
            continue
        status = _value(row["status"])
        if row[done] is not None or row["id"] in taking:
            already += 1
            continue
        if not NOTICE.can(status, step):
            refused[i] = f"summons is {status}: a {kind[:-1]} cannot apply"
            continue
        at = dt.datetime.combine(event.on, dt.time(12), tzinfo=dt.UTC)
        values = (dict(delivered_at=at, delivery_source="receipt", delivery_evidence=event.evidence) if kind == "receipts"
                  else dict(returned_at=at, return_reason=event.reason or "returned by the post"))
        taking[row["id"]] = (row["id"], status, values)
    step_each_returning(uow, NOTICE, summonses, list(taking.values()), step, subject="a summons")
    return len(taking), already, refused


def _summonses_by_reference(uow: UnitOfWork, references: set[str]) -> dict[str, Any]:
    """The summonses with these references that the actor may see, by reference. On PostgreSQL one statement locks
    them all in id order (so two lists cannot deadlock), the references sent as one array; SQLite (which locks the
    whole store for a writer) reads them 1,000 at a time."""
    ordered = sorted(references)
    if uow.conn.dialect.name == "postgresql":
        chunks = [select(summonses).where(summonses.c.reference == any_(bindparam("refs", ordered, type_=ARRAY(String))))
                  .order_by(summonses.c.id).with_for_update()]
    else:
        chunks = [select(summonses).where(summonses.c.reference.in_(ordered[start:start + 1000]))
                  for start in range(0, len(ordered), 1000)]
    return {r["reference"]: r for query in chunks for r in uow.execute(query).mappings()
            if uow.ctx.may_see(r["region"], r["national_id"])}


def apply_deemed_delivery(uow: UnitOfWork, campaign: str, *, on: dt.date) -> int:
    """Deliver, by the policy's explicit rule, every sent notice unconfirmed N days after dispatch.

    Only where the policy sets `notices.deemed_delivered_days` for the channel; each notice so
    delivered names the rule in its evidence. Without such a setting nothing changes (0).
    """
    uow.ctx.require(Role.administrator, Role.system, doing="applying deemed delivery")
    if on > uow.ctx.today():
        raise InputError(f"{on} is after today ({uow.ctx.today()}): delivery can only be deemed up to today", field="on")
    c = _campaign(uow, campaign)
    rule = uow.ctx.policy().in_force(on).notices.deemed_delivered_days
    delivered = 0
    for channel, column in (("portal", summonses.c.published_at), ("post", summonses.c.printed_at)):
        days = rule.get(channel)
        if days is None:
            continue
        cutoff = dt.datetime.combine(on - dt.timedelta(days=days), dt.time.max, tzinfo=dt.UTC)
        delivered += sum(step_rows(  # sent -> delivered; a returned letter is not deemed delivered
            uow, NOTICE, summonses, and_(summonses.c.campaign_id == c.id, column.is_not(None), column <= cutoff), "deliver",
            states=[NoticeStatus.sent], delivered_at=uow.now(), delivery_source="deemed",
            delivery_evidence=f"deemed delivered: {channel}, {days} days after dispatch (policy rule)").values())
    uow.record(DeemedDelivered(target=f"campaign:{campaign}", on=on.isoformat(), delivered=delivered))
    return delivered


# --- appearance and moves -----------------------------------------------------------------------------


#: `shown` when the caller does not say which appearance its page showed (the command line, the API).
UNSEEN = "unseen"


def record_appearance(uow: UnitOfWork, reference: str, outcome: Appearance | str, *, shown: str | None = UNSEEN) -> SummonsView:
    """An officer records that the person appeared, or did not, at the appointment. Nothing punitive follows
    automatically: a no-show is listed for an officer to resolve.

    `shown`: the appearance the officer's page showed (None: none recorded); when another officer has
    recorded one since, `AppearanceChanged` and nothing is written, so a person is recorded once."""
    uow.ctx.require(*OFFICERS, doing="recording appearance")
    outcome = outcome if isinstance(outcome, Appearance) else Appearance(outcome)
    row = _summons(uow, reference, lock=True)
    recorded, refused = _record(uow, [(row, outcome, shown)])
    if refused:
        raise refused[row["reference"]]
    return _view(uow, recorded[0])


class AppearanceChanged(NoticeStateError):
    """Another officer recorded the person's appearance after the page the recording was made on was read."""


def _record(uow: UnitOfWork, chosen: list[tuple[Any, Appearance, str | None]]) -> tuple[list[Any], dict[str, NoticeStateError]]:
    """Check the rule for each (locked summons row, outcome, appearance the page showed) and write those it allows, each
    with its own audit entry: the rows after, in the order given, and why each other one was refused, by reference.
    One UPDATE for the rows that share an outcome and what was shown, so a day sheet costs a few statements."""
    today = uow.ctx.today()
    inducted = _inducted_of(uow, [row for row, outcome, _ in chosen if outcome is Appearance.no_show])
    refused: dict[str, NoticeStateError] = {}
    groups: dict[tuple[Appearance, str | None], list[Any]] = {}
    for row, outcome, shown in chosen:
        reference, now = row["reference"], _value(row["appearance"])
        why_not = appearance_refusal(_value(row["status"]), row["date"], today)
        if why_not is None and outcome is Appearance.no_show and reference in inducted:
            why_not = "the person was inducted: they did not miss the appointment"
        if why_not:
            refused[reference] = NoticeStateError(f"summons {reference}: {why_not}", field="outcome")
        elif shown != UNSEEN and now != shown:
            refused[reference] = AppearanceChanged(f"summons {reference}: meanwhile recorded as "
                                                   f"{'did not appear' if now == Appearance.no_show.value else now or 'nothing'}",
                                                   field="outcome")
        else:
            groups.setdefault((outcome, shown), []).append(row)
    after: dict[int, Any] = {}
    for (outcome, shown), rows in groups.items():
        guard: ColumnElement[bool] = summonses.c.id.in_([r["id"] for r in rows])
        if shown != UNSEEN:  # what the page showed is still what is stored, or nothing is written
            guard = guard & (summonses.c.appearance.is_(None) if shown is None else summonses.c.appearance == shown)
        for r in uow.execute(update(summonses).where(guard).values(appearance=outcome, appearance_at=uow.now(),
                                                                   no_show_resolved_at=None).returning(*_SHOWN)).mappings():
            after[r["id"]] = r
    recorded = []
    for row, outcome, _ in chosen:
        if row["reference"] in refused:
            continue
        if row["id"] not in after:
            refused[row["reference"]] = AppearanceChanged(f"summons {row['reference']}: its appearance was recorded meanwhile",
                                                          field="outcome")
            continue
        uow.record(SummonsChanged(target=person(row["national_id"]), reference=row["reference"], step="appearance",
                                  detail=outcome.value))
        recorded.append(after[row["id"]])
    return recorded, refused


@dataclasses.dataclass(frozen=True)
class AppearanceChoice:
    """One person's line of a day sheet as submitted: the summons, the outcome chosen, the appearance the page showed."""

    reference: str
    outcome: str
    shown: str | None = None


class AppearancesRefused(NoticeStateError):
    """Some appearances of a bulk recording were refused: `refusals` by summons reference; nothing was recorded."""

    def __init__(self, refusals: dict[str, str]) -> None:
        super().__init__(f"{len(refusals)} of the appearances could not be recorded; nothing was recorded", field="outcome")
        self.refusals = refusals


def record_appearances(uow: UnitOfWork, choices: list[AppearanceChoice]) -> list[str]:
    """Record a day's appearances at once (a day sheet): every person by the same rule as `record_appearance`,
    each with their own audit entry, all in the caller's one transaction. If any is refused,
    `AppearancesRefused` names each refused summons with its reason and nothing is recorded (the caller's
    transaction rolls back), so the officer corrects those lines and sends the rest again. Returns the
    references recorded."""
    uow.ctx.require(*OFFICERS, doing="recording appearances")
    refusals: dict[str, str] = {}
    wanted: dict[str, AppearanceChoice] = {}
    for choice in choices:
        try:
            reference = parse_reference(choice.reference)
            outcome = Appearance(choice.outcome)
        except (InputError, ValueError):
            refusals[choice.reference] = "choose appeared or did not appear"
            continue
        wanted[reference] = dataclasses.replace(choice, reference=reference, outcome=outcome.value)
    if not wanted and not refusals:
        raise InputError("choose appeared or did not appear for at least one person", field="outcome")
    rows = _summonses_by_reference(uow, set(wanted))
    chosen = []
    for reference, choice in wanted.items():
        if reference in rows:
            chosen.append((rows[reference], Appearance(choice.outcome), choice.shown))
        else:
            refusals[reference] = "no summons with that reference"
    _, refused = _record(uow, chosen)  # written where allowed: a refusal rolls the caller's transaction back
    refusals.update({reference: exc.message.split(": ", 1)[-1] for reference, exc in refused.items()})
    if refusals:
        raise AppearancesRefused(refusals)
    return list(wanted)


@dataclasses.dataclass(frozen=True)
class NoShow:
    """A live summons on which the person was recorded as not appearing."""

    national_id: str
    reference: str
    appearance_at: dt.datetime


def no_shows(uow: UnitOfWork, campaign_id: int, *, references: list[str] | None = None) -> list[NoShow]:
    """The campaign's live summonses recorded as no-shows in the actor's regions (with `references`, those summonses
    only), in the order they were recorded: what case work opens its no-show cases from."""
    query = (select(summonses.c.national_id, summonses.c.reference, summonses.c.appearance_at)
             .where(summonses.c.campaign_id == campaign_id, summonses.c.appearance == Appearance.no_show.value,
                    summonses.c.status.in_(LIVE_VALUES))
             .order_by(summonses.c.appearance_at, summonses.c.id))
    if references is not None:
        query = query.where(summonses.c.reference.in_(references))
    scope = uow.ctx.region_filter(summonses.c.region)
    if scope is not None:
        query = query.where(scope)
    return [NoShow(r.national_id, r.reference, r.appearance_at) for r in uow.execute(query)]


def no_show_cases_changed(uow: UnitOfWork, changed: Sequence[tuple[int, str, dt.datetime, bool]]) -> None:
    """Case work tells each person's summons, in the cases' unit of work, that their no-show case (campaign id, national
    id, when it opened, resolved or not) was resolved (rescheduled, excused or referred) or is open again (overturned):
    a resolved no-show leaves the follow-up list. Only a no-show recorded before the case opened is its concern. One
    statement sent for the whole list."""
    if changed:
        now = uow.now()
        uow.execute(_NO_SHOW_CHANGED, [{"_campaign_id": campaign_id, "_national_id": national_id, "_opened_at": opened_at,
                                        "_resolved_at": now if resolved else None}
                                       for campaign_id, national_id, opened_at, resolved in changed])


_NO_SHOW_CHANGED = (update(summonses).where(summonses.c.campaign_id == bindparam("_campaign_id"),
                                            summonses.c.national_id == bindparam("_national_id"),
                                            summonses.c.appearance == Appearance.no_show.value,
                                            summonses.c.appearance_at <= bindparam("_opened_at"))
                    .values(no_show_resolved_at=bindparam("_resolved_at", type_=summonses.c.no_show_resolved_at.type)))


#: The states of a summons whose delivery is established (by evidence, the portal or the policy's rule).
DELIVERED_VALUES = (NoticeStatus.delivered.value, NoticeStatus.acknowledged.value)


def appearance_refusal(status: str, date: dt.date, today: dt.date) -> str | None:
    """Why no appearance can be recorded on a summons in `status` with its appointment on `date`
    (None: it can). Whether someone appeared is known only once the day has come, and only a
    delivered summons obliged anyone to come."""
    if status not in LIVE_VALUES:
        return f"it is {status}: there is no appearance to record"
    if status not in DELIVERED_VALUES:
        return "it has not been delivered: an appearance is recorded only for a delivered summons"
    if today < date:
        return f"its appointment is on {date.isoformat()}: an appearance is recorded on or after that day"
    return None


def move(uow: UnitOfWork, reference: str, *, office: str, date: dt.date, start: dt.time,
         for_open_case: bool = False) -> SummonsView:
    """Move the appointment to another free slot, within the policy's limit (`notices.move_days`).

    `for_open_case`: an officer resolving a case opened before the campaign closed (a no-show
    rescheduled) may still move it after the close."""
    uow.ctx.require(Role.citizen, *OFFICERS, doing="moving an appointment")
    row = _summons(uow, reference, lock=True)
    why_not = _fixed(uow, row, closed_too=not for_open_case)
    if why_not:
        raise NoticeStateError(f"summons {row['reference']}: {why_not}")
    today = uow.ctx.today()
    limit = uow.ctx.policy().in_force(today).notices.move_days
    if limit is None:
        raise NoticeStateError("the policy does not let summoned people move their appointment; contact the office")
    c = _campaign_of(uow, row["campaign_id"])
    _lock_slots(uow, (office, date, start))  # before counting: a concurrent mover waits for this one to book
    current = Appointment(row["office"], row["date"], row["start"], row["end"])
    mine = [o for o in _offices(uow, row["campaign_id"]) if o.region == row["region"]]
    moved = move_appointment(current, office, date, start, region=row["region"], offices=mine,
                             load=_load(uow, mine), window=(c.window_start, c.window_end), today=today, max_days=limit,
                             original=row["original_date"])
    uow.execute(update(summonses).where(summonses.c.id == row["id"]).values(office=moved.office, date=moved.date,
                                                                             start=moved.start, end=moved.end))
    uow.record(SummonsChanged(target=person(row["national_id"]), reference=row["reference"], step="move",
                              detail=f"{moved.office} {moved.date} {moved.start:%H:%M}"))
    return _current(uow, reference)


def inducted_among(uow: UnitOfWork, references: list[str]) -> set[str]:
    """The summonses among `references` whose person was inducted from the summons' campaign (such a
    person is not recorded as not having come: a page offers only "came"). The call knows (`calls.inducted_among`)."""
    rows = []
    for i in range(0, len(references), 500):
        rows += uow.execute(select(summonses.c.reference, summonses.c.campaign_id, summonses.c.national_id)
                            .where(summonses.c.reference.in_(references[i:i + 500]))).mappings().all()
    return _inducted_of(uow, rows)


def _inducted_of(uow: UnitOfWork, rows: list[Any]) -> set[str]:
    """The references of those summons `rows` whose person was inducted from the summons' campaign."""
    people: dict[int, dict[str, str]] = {}
    for r in rows:
        people.setdefault(r["campaign_id"], {})[r["national_id"]] = r["reference"]
    return {by_person[n] for campaign_id, by_person in people.items()
            for n in calls.inducted_among(uow, campaign_id, by_person)}


def _inducted(uow: UnitOfWork, row: Any) -> bool:
    """Whether the person of the summons `row` was inducted from its campaign (the call knows)."""
    return calls.inducted(uow, row["campaign_id"], row["national_id"])


def _fixed(uow: UnitOfWork, row: Any, *, closed_too: bool = True) -> str | None:
    """Why the summons' appointment can no longer move (None: it can): no longer live, already kept,
    the person inducted, or (`closed_too`) its campaign closed."""
    if _value(row["status"]) not in LIVE_VALUES:
        return f"it is {_value(row['status'])}: it has no appointment to move"
    if _value(row["appearance"]) == Appearance.appeared.value:
        return "the appointment was kept: there is nothing to move"
    if _inducted(uow, row):
        return "the person was inducted: there is nothing to move"
    status = _campaign_of(uow, row["campaign_id"]).status
    if closed_too and status == CampaignStatus.closed.value:
        return "its campaign is closed: appointments no longer move"
    return None


def can_move(uow: UnitOfWork, reference: str) -> bool:
    """Whether the summons' appointment may still be moved (the policy allows moves and it is not fixed)."""
    row = _summons(uow, reference)
    return uow.ctx.policy().in_force(uow.ctx.today()).notices.move_days is not None and _fixed(uow, row) is None


def move_options(uow: UnitOfWork, reference: str, *, limit: int = 300) -> list[tuple[Appointment, int]]:
    """The free slots the summons' appointment may move to (with their free places), in date order;
    empty when it cannot move (not live, or the policy allows no moves)."""
    from callup.notices.schedule import free_slots

    row = _summons(uow, reference)
    today = uow.ctx.today()
    days = uow.ctx.policy().in_force(today).notices.move_days
    if days is None or _fixed(uow, row):
        return []
    c = _campaign_of(uow, row["campaign_id"])
    mine = [o for o in _offices(uow, row["campaign_id"]) if o.region == row["region"]]
    slots = free_slots(row["region"], mine, _load(uow, mine), (c.window_start, c.window_end),
                       today=today, around=row["original_date"], max_days=days)
    current = (row["office"], row["date"], row["start"])
    return [(a, n) for a, n in slots if (a.office, a.date, a.start) != current][:limit]


def check_sign_in(uow: UnitOfWork, reference: str, code: str) -> str | None:
    """The national id whose summons `reference` has the sign-in `code`, until the code's expiry; None otherwise.

    The code signs in each time (a citizen may have only the paper letter): on a live summons, and
    on one whose call has ended, so its holder can read the outcome and appeal; never on a summons
    superseded by a newer letter."""
    try:
        canonical = parse_reference(reference)
    except InputError:
        return None
    row = uow.execute(select(summonses.c.national_id, summonses.c.code_hash, summonses.c.code_expires, summonses.c.status)
                      .where(summonses.c.reference == canonical)).first()
    if row is None or _value(row.status) not in SIGN_IN_VALUES or row.code_expires < uow.ctx.today():
        return None
    return row.national_id if check_code(code, bytes(row.code_hash), reference=canonical, key=code_key(uow.ctx)) else None


# --- reading ------------------------------------------------------------------------------------------


def _view_of(row: Any, campaign: str) -> SummonsView:
    return SummonsView(row["reference"], campaign, row["region"], row["pseudonym"], row["rank"], _value(row["status"]),
                       row["office"], row["date"], row["start"], row["end"], row["printed_at"], row["published_at"],
                       row["delivered_at"], row["delivery_source"], row["delivery_evidence"], row["acknowledged_at"],
                       row["closed_reason"], _value(row["appearance"]), row["appearance_at"])


@dataclasses.dataclass(frozen=True, kw_only=True)
class SummonsRead(AuditEvent):
    """notices.read: staff displayed a person's summons (its page, the API, a person's list, the follow-up list)."""

    action: ClassVar[str] = "notices.read"
    reference: str
    view: str


def _audit_reads(uow: UnitOfWork, read: list[tuple[str, str]], *, where: str) -> None:
    """One `notices.read` entry per (national id, reference) shown to staff; a citizen reading their own
    summonses is not recorded. Needs a writing unit of work (a read-only one would drop the entries)."""
    if uow.actor.role is Role.citizen:
        return
    for national_id, reference in read:
        uow.record(SummonsRead(target=person(national_id), reference=reference, view=where))


def _current(uow: UnitOfWork, reference: str, *, where: str | None = None) -> SummonsView:
    """The summons as it is now; audited as read on `where` (None: after a step the caller has recorded)."""
    row = _summons(uow, reference)
    if where is not None:
        _audit_reads(uow, [(row["national_id"], row["reference"])], where=where)
    return _view(uow, row)


def _view(uow: UnitOfWork, row: Any) -> SummonsView:
    return _view_of(row, calls.campaign_names(uow, [row["campaign_id"]])[row["campaign_id"]])


def view(uow: UnitOfWork, reference: str, *, where: str = "summons") -> SummonsView:
    """One summons, if the actor may see it; a staff read is audited (`where`: the page or route)."""
    return _current(uow, reference, where=where)


_BY_PERSON = (select(*_SHOWN)
              .where(summonses.c.national_id == bindparam("national_id")).order_by(summonses.c.id.desc()))


def summonses_of(uow: UnitOfWork, national_id: str, *, where: str = "person's summonses") -> list[SummonsView]:
    """Every summons of one person (a citizen: only their own; a regional actor: their regions'), newest first;
    a staff read is audited, one entry per summons shown.

    One prepared query, and one for the campaigns' names: the portal's status page and the status API call it on
    every view."""
    national_id = national_id.strip()
    if not uow.ctx.may_list(national_id):
        return []
    query = _BY_PERSON
    scope = uow.ctx.region_filter(summonses.c.region)
    if scope is not None:
        query = query.where(scope)
    rows = uow.execute(query, {"national_id": national_id}).mappings().all()
    names = calls.campaign_names(uow, (r["campaign_id"] for r in rows))
    shown = [_view_of(row, names[row["campaign_id"]]) for row in rows]
    _audit_reads(uow, [(national_id, v.reference) for v in shown], where=where)
    return shown


@dataclasses.dataclass(frozen=True)
class Appointed:
    """One person's appointment at an office on a day, as the staff working that day see it."""

    reference: str
    national_id: str
    campaign: str
    region: str
    office: str
    date: dt.date
    start: dt.time
    end: dt.time
    status: str
    appearance: str | None
    appearance_at: dt.datetime | None = None


def appointments_at(uow: UnitOfWork, office: str, day: dt.date, *, where: str = "day's appointments") -> list[Appointed]:
    """The summonses with an appointment at `office` on `day` in the actor's regions, by time: the live ones and
    those cancelled because the call ended (so a person released that day still shows), never superseded
    ones. Audited: one read entry per summons listed."""
    uow.ctx.require(*OFFICERS, Role.medical, Role.auditor, doing="listing a day's appointments")
    where_ = [summonses.c.office == office.strip(), summonses.c.date == day,
              summonses.c.status.in_((*LIVE_VALUES, NoticeStatus.cancelled.value))]
    scope = uow.ctx.region_filter(summonses.c.region)
    if scope is not None:
        where_.append(scope)
    rows = uow.execute(select(*_SHOWN).where(*where_).order_by(summonses.c.start, summonses.c.id)).mappings().all()
    names = calls.campaign_names(uow, (r["campaign_id"] for r in rows))
    _audit_reads(uow, [(r["national_id"], r["reference"]) for r in rows], where=where)
    return [Appointed(r["reference"], r["national_id"], names[r["campaign_id"]], r["region"], r["office"], r["date"], r["start"],
                      r["end"], _value(r["status"]), _value(r["appearance"]), r["appearance_at"]) for r in rows]


def appointment_offices(uow: UnitOfWork) -> dict[str, str]:
    """The offices of the actor's regions that campaigns give appointments at (from the offices files the
    campaigns recorded), by code in code order: "name, address"."""
    t = CampaignOffices.__table__
    found: dict[str, str] = {}
    for campaign_id in uow.execute(select(t.c.campaign_id)).scalars().all():
        offices, places = _recorded(uow, campaign_id) or ((), {})
        for office in offices:
            if uow.ctx.may_see(office.region):
                found.setdefault(office.code, places.get(office.code, office.code))
    return dict(sorted(found.items()))


@dataclasses.dataclass(frozen=True)
class NoticeStatusReport:
    campaign: str
    by_status: dict[str, int]
    by_region: dict[str, dict[str, int]]
    delivery_sources: dict[str, int]
    printed: int
    published: int
    appeared: int
    no_show: int


def status_report(uow: UnitOfWork, campaign: str) -> NoticeStatusReport:
    """Counts per state and region (a regional actor: their regions), delivery by kind of evidence."""
    c = _campaign(uow, campaign)
    where = [summonses.c.campaign_id == c.id]
    scope = uow.ctx.region_filter(summonses.c.region)
    if scope is not None:
        where.append(scope)
    rows = uow.execute(select(summonses.c.region, summonses.c.status, func.count()).where(*where)
                       .group_by(summonses.c.region, summonses.c.status)).all()
    by_region: dict[str, dict[str, int]] = {}
    by_status: Counter = Counter()
    for region, status, n in rows:
        by_region.setdefault(region, {})[_value(status)] = n
        by_status[_value(status)] += n
    sources = dict(uow.execute(select(summonses.c.delivery_source, func.count()).where(*where, summonses.c.delivery_source.is_not(None))
                               .group_by(summonses.c.delivery_source)).all())
    count = lambda *cond: uow.execute(select(func.count()).where(*where, *cond)).scalar_one()  # noqa: E731
    return NoticeStatusReport(campaign, dict(sorted(by_status.items())), dict(sorted(by_region.items())), sources,
                              count(summonses.c.printed_at.is_not(None)), count(summonses.c.published_at.is_not(None)),
                              count(summonses.c.appearance == Appearance.appeared.value),
                              count(summonses.c.appearance == Appearance.no_show.value))


@dataclasses.dataclass(frozen=True)
class FollowUp:
    reference: str
    region: str
    reason: str
    since: dt.datetime | None
    why: str = ""  # returned, unconfirmed or no_show: what a page says in its own words
    detail: str | None = None  # the post's reason for a returned letter
    days: int | None = None  # days since dispatch without evidence of delivery


def follow_up(uow: UnitOfWork, campaign: str, *, days: int = 14) -> list[FollowUp]:
    """Notices that need an officer: returned (address follow-up), sent but unconfirmed after `days`, no-shows
    not yet resolved (excused, rescheduled or referred: those are done). Audited: one read entry per summons listed."""
    uow.ctx.require(*OFFICERS, Role.auditor, doing="listing notices to follow up")
    c = _campaign(uow, campaign)
    where = [summonses.c.campaign_id == c.id]
    scope = uow.ctx.region_filter(summonses.c.region)
    if scope is not None:
        where.append(scope)
    cutoff = uow.now() - dt.timedelta(days=days)
    out: list[FollowUp] = []
    read: list[tuple[str, str]] = []
    for r in uow.execute(select(summonses).where(*where, summonses.c.status == NoticeStatus.returned.value)
                         .order_by(summonses.c.region, summonses.c.returned_at)).mappings():
        out.append(FollowUp(r["reference"], r["region"], f"returned: {r['return_reason']}: check the address", r["returned_at"],
                            why="returned", detail=r["return_reason"]))
        read.append((r["national_id"], r["reference"]))
    sent_since = func.coalesce(summonses.c.printed_at, summonses.c.published_at)
    for r in uow.execute(select(summonses).where(*where, summonses.c.status == NoticeStatus.sent.value, sent_since <= cutoff)
                         .order_by(summonses.c.region)).mappings():
        out.append(FollowUp(r["reference"], r["region"], f"no evidence of delivery {days} days after dispatch",
                            r["printed_at"] or r["published_at"], why="unconfirmed", days=days))
        read.append((r["national_id"], r["reference"]))
    for r in uow.execute(select(summonses).where(*where, summonses.c.appearance == Appearance.no_show.value,
                                                 summonses.c.status.in_(LIVE_VALUES), summonses.c.no_show_resolved_at.is_(None))
                         .order_by(summonses.c.appearance_at)).mappings():
        out.append(FollowUp(r["reference"], r["region"], "did not appear: an officer decides what follows", r["appearance_at"],
                            why="no_show"))
        read.append((r["national_id"], r["reference"]))
    _audit_reads(uow, read, where="follow-up list")
    return out


def counts_by_status(conn: Connection) -> dict[str, int]:
    """How many summonses there are in each status, over every campaign (the operators' metrics: no personal data)."""
    return {_value(status): n for status, n in conn.execute(
        select(summonses.c.status, func.count()).group_by(summonses.c.status)).all()}


def campaigns_with_live_summonses(uow: UnitOfWork) -> list[str]:
    """Names of the campaigns that have live summonses (the daily jobs' work), in creation order."""
    ids = uow.execute(select(summonses.c.campaign_id).where(summonses.c.status.in_(LIVE_VALUES)).distinct()).scalars().all()
    names = calls.campaign_names(uow, ids)
    return [names[i] for i in sorted(names)]


def follow_up_counts(uow: UnitOfWork, campaign: str, *, days: int = 14) -> dict[str, int]:
    """How many notices of `campaign` are on the follow-up list (`follow_up`), by reason: counts only,
    so reading them reads no one's record (the daily job records them)."""
    uow.ctx.require(*OFFICERS, Role.auditor, doing="counting notices to follow up")
    c = _campaign(uow, campaign)
    where = [summonses.c.campaign_id == c.id]
    scope = uow.ctx.region_filter(summonses.c.region)
    if scope is not None:
        where.append(scope)
    count = lambda *cond: uow.execute(select(func.count()).where(*where, *cond)).scalar_one()  # noqa: E731
    sent_since = func.coalesce(summonses.c.printed_at, summonses.c.published_at)
    return {"returned": count(summonses.c.status == NoticeStatus.returned.value),
            "unconfirmed": count(summonses.c.status == NoticeStatus.sent.value, sent_since <= uow.now() - dt.timedelta(days=days)),
            "no_show": count(summonses.c.appearance == Appearance.no_show.value, summonses.c.status.in_(LIVE_VALUES),
                             summonses.c.no_show_resolved_at.is_(None))}


@dataclasses.dataclass(frozen=True, kw_only=True)
class SignInDetailsRead(AuditEvent):
    """notices.code_read: a summons' one-time code was read back (a reprint, a demo)."""

    action: ClassVar[str] = "notices.code_read"
    reference: str


def sign_in_details(uow: UnitOfWork, campaign: str, *, region: str) -> dict[str, str]:
    """The reference and one-time code of the first live summons of `region` (as printed on its letter); audited.

    For reprints and the demo: the code is otherwise only ever printed.
    """
    uow.ctx.require(Role.administrator, Role.system, doing="reading a summons' sign-in code")
    c = _campaign(uow, campaign)
    row = uow.execute(select(summonses.c.reference, summonses.c.code, summonses.c.national_id).where(
        summonses.c.campaign_id == c.id, summonses.c.region == region, summonses.c.status.in_(LIVE_VALUES))
        .order_by(summonses.c.id).limit(1)).first()
    if row is None:
        raise NoticeNotFound(f"no live summons in region {region}", field="region")
    uow.record(SignInDetailsRead(target=person(row.national_id), reference=row.reference))
    return {"reference": row.reference, "code": row.code}
