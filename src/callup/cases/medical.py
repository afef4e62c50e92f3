"""The medical board: a fitness category from the policy for a called person.

An inductable category leaves the call as it is (`fit`). A category the policy does not induct
ends the call and calls the next person in the region's reserve order, in the same transaction
(`unfit`). A temporary category (one with `reexamine_months`) does the same, and the person
returns to the pool of the campaigns whose eligibility date is on or after the re-examination
date (`temporarily_unfit`, with `until`). Health details are stored encrypted beside the case;
only the medical role reads them and every read is audited. The reason stored with the
decision names the category, never the details.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import ClassVar

from sqlalchemy import insert, select

from callup.audit import AuditEvent, person
from callup.campaigns.tables import ReleaseReason
from callup.cases import effects, transitions
from callup.cases.errors import CaseInputError, CaseStateError
from callup.cases.tables import CaseKind, MedicalFinding
from callup.cases.views import CaseView, as_view
from callup.context import Role
from callup.policy.model import FitnessCategory
from callup.policy.months import add_months
from callup.uow import UnitOfWork

findings = MedicalFinding.__table__


@dataclasses.dataclass(frozen=True, kw_only=True)
class FindingsRead(AuditEvent):
    """medical.read: a member of the medical board read the health details of a case."""

    action: ClassVar[str] = "medical.read"
    case: int
    findings: int


@dataclasses.dataclass(frozen=True)
class Findings:
    case: int
    category: str
    details: str | None
    recorded_at: dt.datetime
    recorded_by: str


@dataclasses.dataclass(frozen=True)
class FitnessDecision:
    case: CaseView
    category: str
    inductable: bool
    reexamine_on: dt.date | None
    released: bool
    replacement: str | None


def category(uow: UnitOfWork, code: str) -> FitnessCategory:
    """The fitness category `code` of the policy in force today; `CaseInputError` naming the known ones."""
    known = uow.ctx.policy().in_force(uow.ctx.today()).fitness_categories
    for c in known:
        if c.code == code.strip():
            return c
    raise CaseInputError(f"fitness category {code!r} is not one of the policy's: {', '.join(c.code for c in known)}",
                         field="category")


def open_examination(uow: UnitOfWork, campaign: str, national_id: str, *, reason: str | None = None) -> CaseView:
    """Open a medical board case for a called person whose call is live and who has no open one."""
    call = transitions.call_of(uow, campaign, national_id)
    if call["release_reason"] is not None:
        raise CaseStateError(f"that person's call in campaign {campaign!r} has ended: no examination to hold")
    if transitions.open_cases_of(uow, call["campaign_id"], call["national_id"], CaseKind.medical):
        raise CaseStateError(f"that person already has an open medical case in campaign {campaign!r}")
    return as_view(uow, transitions.open_case(uow, campaign, national_id, CaseKind.medical, reason=reason))


def decide_fitness(uow: UnitOfWork, case_id: int, code: str, *, details: str | None = None, reason: str | None = None,
                   evidence: str | None = None, reexamine_on: dt.date | None = None) -> FitnessDecision:
    """Record the medical board's category; for a category the policy does not induct, end the call and replace.

    `reexamine_on` (temporary categories only) defaults to the policy's longest interval and may
    not exceed it. `details` are encrypted; `reason` defaults to the category's description.
    """
    uow.ctx.require(Role.medical, Role.system, doing="recording a fitness category")
    case = transitions.load(uow, case_id, lock=True)
    if transitions.value(case["kind"]) != CaseKind.medical.value:
        raise CaseInputError(f"{transitions.subject(case)} is not a medical case", field="case")
    found = category(uow, code)
    today = uow.ctx.today()
    if found.reexamine_months is None:
        if reexamine_on is not None:
            raise CaseInputError(f"category {found.code} is not temporary: it has no re-examination date", field="reexamine_on")
        step = "find_fit" if found.inductable else "find_unfit"
    else:
        latest = add_months(today, found.reexamine_months)
        reexamine_on = reexamine_on or latest
        if not today < reexamine_on <= latest:
            raise CaseInputError(f"the re-examination date must be after today and at most {found.reexamine_months} months "
                                 f"away (by {latest.isoformat()})", field="reexamine_on")
        step = "find_temporarily_unfit"
    reason = reason or f"category {found.code}: {found.description}"
    transitions.precheck(uow, case, step, reason)  # before anything changes: a refused step releases nobody
    effect = {} if found.inductable else effects.release(uow, case, ReleaseReason.unfit)
    after = transitions.transition(uow, case, step, reason=reason,
                                   evidence=evidence, ground=found.code, effect=effect, values={"until": reexamine_on})
    uow.execute(insert(findings).values(case_id=case["id"], category=found.code, details=(details or "").strip() or None,
                                        recorded_at=uow.now(), recorded_by=uow.actor.label()))
    return FitnessDecision(as_view(uow, after), found.code, found.inductable, reexamine_on, bool(effect.get("release")),
                           effect.get("replacement"))


def read_findings(uow: UnitOfWork, case_id: int, *, reason: str | None = None) -> list[Findings]:
    """The health details of a medical case, oldest first: the medical role only, each read audited."""
    uow.ctx.require(Role.medical, doing="reading health details")
    case = transitions.load(uow, case_id)
    if transitions.value(case["kind"]) != CaseKind.medical.value:
        raise CaseInputError(f"{transitions.subject(case)} is not a medical case", field="case")
    rows = uow.execute(select(findings).where(findings.c.case_id == case["id"]).order_by(findings.c.id)).mappings().all()
    uow.record(FindingsRead(target=person(case["national_id"]), reason=reason, case=case["id"], findings=len(rows)))
    return [Findings(case["id"], r["category"], r["details"], r["recorded_at"], r["recorded_by"]) for r in rows]

