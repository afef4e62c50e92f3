"""Reading cases: one case with its history (an audited read of a person's record) and the queue.

The queue lists every case still waiting for a decision with its age in days, oldest first, in
the actor's regions: nothing waits unseen.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from callup.audit import PersonRead, person
from callup.campaigns import calls
from callup.cases import transitions
from callup.cases.machines import MACHINES, NEW
from callup.cases.tables import Case, CaseKind, CaseTransition
from callup.cases.transitions import load
from callup.context import Role
from callup.register.queries import name_and_birth_date
from callup.store.columns import enum_value as value
from callup.uow import UnitOfWork

cases, history = Case.__table__, CaseTransition.__table__
_HISTORY = select(history).where(history.c.case_id == bindparam("case_id")).order_by(history.c.seq)  # built once: every case view
READERS = (Role.administrator, Role.officer, Role.medical, Role.auditor, Role.citizen, Role.system)


@dataclasses.dataclass(frozen=True)
class TransitionView:
    seq: int
    from_state: str
    step: str
    to_state: str
    at: dt.datetime
    actor: str
    role: str
    reason: str | None
    evidence: str | None
    ground: str | None
    effect: dict[str, Any] | None


@dataclasses.dataclass(frozen=True)
class CaseView:
    id: int
    kind: str
    campaign: str
    national_id: str
    region: str
    state: str
    allowed_steps: list[str]
    ground: str | None
    policy_version: str
    evidence: str | None
    opened_at: dt.datetime
    opened_by: str
    opened_role: str
    decided_at: dt.datetime | None
    decided_by: str | None
    decided_role: str | None
    decision_reason: str | None
    appeal_deadline: dt.date | None
    until: dt.date | None
    appeals_case: int | None
    check_result: str | None
    check_source: str | None
    history: list[TransitionView]
    name: str | None = None  # the person's full name on the register (an officer's page names whom it is about)
    version: int = 0  # raised by every step: a decision form sends the version it showed


def _history(uow: UnitOfWork, case: Any) -> list[TransitionView]:
    """The case's history: read, unless the row carries it (a case just opened, by `transitions.transition`)."""
    rows = case["history"] if "history" in case else uow.execute(_HISTORY, {"case_id": case["id"]}).mappings()
    return [TransitionView(r["seq"], r["from_state"], r["step"], r["to_state"], r["at"], r["actor"], r["role"], r["reason"],
                           r["evidence"], r["ground"], json.loads(r["effect"]) if r["effect"] else None) for r in rows]


def as_view(uow: UnitOfWork, row: Any) -> CaseView:
    kind = CaseKind(value(row["kind"]))
    return CaseView(
        id=row["id"], kind=kind.value, campaign=row["campaign"], national_id=row["national_id"], region=row["region"],
        state=row["state"], allowed_steps=MACHINES[kind].allowed(row["state"]), ground=row["ground"],
        policy_version=row["policy_version"], evidence=row["evidence"], opened_at=row["opened_at"], opened_by=row["opened_by"],
        opened_role=row["opened_role"], decided_at=row["decided_at"], decided_by=row["decided_by"],
        decided_role=row["decided_role"], decision_reason=row["decision_reason"], appeal_deadline=row["appeal_deadline"],
        until=row["until"], appeals_case=row["appeals_case_id"], check_result=row["check_result"],
        check_source=row["check_source"], history=_history(uow, row), version=row["version"])


def case_view(uow: UnitOfWork, case_id: int, *, reason: str | None = None) -> CaseView:
    """One case and its whole history; the read is audited (it is part of a person's record)."""
    uow.ctx.require(*READERS, doing="reading a case")
    row = load(uow, case_id)
    uow.record(PersonRead(target=person(row["national_id"]), reason=reason, view=f"case:{row['id']}"))
    named = name_and_birth_date(uow, row["national_id"])
    return dataclasses.replace(as_view(uow, row), name=named[0] if named else None)


@dataclasses.dataclass(frozen=True)
class CaseLine:
    """One case as a list of a person's cases shows it."""

    id: int
    kind: str
    campaign: str
    state: str
    opened_at: dt.datetime
    decided_at: dt.datetime | None
    appeals_case: int | None


def cases_of(uow: UnitOfWork, national_id: str, *, reason: str | None = None) -> list[CaseLine]:
    """Every case of one person, newest first (a regional actor: their regions' only); staff reading
    them is audited as one read of the person's record (none when there is no case to show)."""
    uow.ctx.require(*READERS, doing="listing a person's cases")
    national_id = national_id.strip()
    if not uow.ctx.may_list(national_id):
        return []
    query = (select(cases.c.id, cases.c.kind, cases.c.campaign_id, cases.c.state, cases.c.opened_at, cases.c.decided_at,
                    cases.c.appeals_case_id)
             .where(cases.c.national_id == national_id, cases.c.state != NEW).order_by(cases.c.id.desc()))
    scope = uow.ctx.region_filter(cases.c.region)
    if scope is not None:
        query = query.where(scope)
    rows = uow.execute(query).all()
    names = calls.campaign_names(uow, (r.campaign_id for r in rows))
    shown = [CaseLine(r.id, value(r.kind), names[r.campaign_id], r.state, r.opened_at, r.decided_at, r.appeals_case_id)
             for r in rows]
    if shown and uow.actor.role is not Role.citizen:
        uow.record(PersonRead(target=person(national_id), reason=reason, view="cases"))
    return shown


def my_cases(uow: UnitOfWork) -> list[CaseView]:
    """The signed-in citizen's own cases with their histories, newest first (their own record: not a
    read of someone else's, so not audited)."""
    uow.ctx.require(Role.citizen, doing="listing your cases")
    query = select(cases).where(cases.c.national_id == uow.actor.person_id).order_by(cases.c.id.desc())
    return [as_view(uow, r) for r in transitions.with_campaign_names(uow, uow.execute(query).mappings().all())]


def counts_by_kind_and_state(conn: Connection) -> dict[tuple[str, str], int]:
    """How many cases there are of each (kind, state), over every campaign (the operators' metrics: no personal data)."""
    return {(value(kind), state): n for kind, state, n in conn.execute(
        select(cases.c.kind, cases.c.state, func.count()).group_by(cases.c.kind, cases.c.state)).all()}


@dataclasses.dataclass(frozen=True)
class QueueItem:
    id: int
    kind: str
    campaign: str
    region: str
    state: str
    ground: str | None
    opened_at: dt.datetime
    age_days: int
    check_result: str | None


#: The states in which a case waits for someone to act, per kind.
WAITING: dict[CaseKind, tuple[str, ...]] = {
    CaseKind.medical: ("open",),
    CaseKind.deferral: ("applied",),
    CaseKind.exemption: ("applied",),
    CaseKind.civilian_service: ("applied", "granted"),
    CaseKind.appeal: ("lodged",),
    CaseKind.no_show: ("open",),
}


def queue(uow: UnitOfWork, *, kind: CaseKind | None = None, campaign: str | None = None, region: str | None = None,
          after: int | None = None, limit: int | None = None) -> list[QueueItem]:
    """Every case waiting for a decision (or, for civilian service, an assignment), oldest first, with its age.

    Paged in the query: `limit` cases after case `after` in the same order (none when that case is unknown)."""
    uow.ctx.require(Role.administrator, Role.officer, Role.medical, Role.auditor, Role.system, doing="listing the case queue")
    kinds = [kind] if kind is not None else list(WAITING)
    waiting = [(cases.c.kind == k.value) & cases.c.state.in_(WAITING[k]) for k in kinds]
    from sqlalchemy import or_

    query = (select(cases.c.id, cases.c.kind, cases.c.campaign_id, cases.c.region, cases.c.state, cases.c.ground,
                    cases.c.opened_at, cases.c.check_result)
             .where(or_(*waiting), cases.c.state != NEW)
             .order_by(cases.c.opened_at, cases.c.id))
    scope = uow.ctx.region_filter(cases.c.region)
    if scope is not None:
        query = query.where(scope)
    if campaign is not None:
        campaign_id = calls.campaign_id(uow, campaign)
        if campaign_id is None:
            return []
        query = query.where(cases.c.campaign_id == campaign_id)
    if region is not None:
        query = query.where(cases.c.region == region)
    if after is not None:
        opened = select(cases.c.opened_at).where(cases.c.id == after).scalar_subquery()
        query = query.where(or_(cases.c.opened_at > opened, (cases.c.opened_at == opened) & (cases.c.id > after)))
    if limit is not None:
        query = query.limit(limit)
    today = uow.ctx.today()
    rows = uow.execute(query).all()
    names = calls.campaign_names(uow, (r.campaign_id for r in rows))
    return [QueueItem(r.id, value(r.kind), names[r.campaign_id], r.region, r.state, r.ground, r.opened_at,
                      (today - _date(r.opened_at)).days, r.check_result) for r in rows]


def _date(at: dt.datetime) -> dt.date:
    return (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).astimezone(dt.UTC).date()
