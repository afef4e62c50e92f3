"""The deployment guardrail: a person is never assigned to a unit in a zone the policy forbids for their status.

Every assignment (induction, transfer) asks `check`. A zone the policy's rule for the status
forbids is refused, unless the zone is one of the rule's `overridable_zones`, a second officer
approved the override in their own name (`approve_override`: one override, within
`APPROVAL_DAYS`), and the actor, another officer, names them and gives a reason. Every refusal,
approval and override attempt is written to `deployment_attempts` and audited in the caller's unit of
work, which the service then commits without making the assignment: the attempt stays on
record even though nothing else changed. `report` lists them all.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import ClassVar, cast

from sqlalchemy import Table, insert, select

from callup.audit import AuditEvent, person
from callup.context import Role
from callup.errors import Forbidden
from callup.military_service.tables import DeploymentAttempt, ServiceRecord
from callup.military_service.units import unit_zone
from callup.uow import UnitOfWork

__all__ = ["APPROVAL_DAYS", "AttemptView", "DeploymentAttempted", "DeploymentRefused", "GuardrailReportRead", "Verdict",
           "approve_override", "check", "read_report", "report"]


attempts = cast(Table, DeploymentAttempt.__table__)
APPROVAL_DAYS = 7  # an approval by the second officer is valid this long, for one override


class DeploymentRefused(Forbidden):
    """The guardrail refused an assignment (the attempt is recorded)."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class DeploymentAttempted(AuditEvent):
    """deployment.attempt: an assignment to a forbidden zone was refused, or made by override with a second officer."""

    action: ClassVar[str] = "deployment.attempt"
    attempt: int
    unit: str
    zone: str
    status: str
    outcome: str
    second_officer: str | None


@dataclasses.dataclass(frozen=True)
class Verdict:
    unit: str
    zone: str
    allowed: bool
    overridden: bool
    problem: str | None
    attempt: int | None


def check(uow: UnitOfWork, *, national_id: str, region: str, status: str, unit: str, action: str, record_id: int | None = None,
          second_officer: str | None = None, override_reason: str | None = None, zone: str | None = None) -> Verdict:
    """Whether `status` may be assigned to `unit`; a forbidden zone is recorded whatever the answer. `zone`: the
    unit's zone when the caller has read it (`units.unit_zones`)."""
    zone = zone or unit_zone(uow, unit)
    rules = [r for r in uow.ctx.policy().in_force(uow.ctx.today()).deployment if r.status == status]
    forbidden = next((r for r in rules if zone in r.forbidden_zones), None)
    if forbidden is None:
        return Verdict(unit, zone, True, False, None, None)
    second = (second_officer or "").strip() or None
    problem = f"the policy forbids assigning a {status} to a unit in a {zone} zone"
    if second is None and not override_reason:
        outcome = "refused"
    elif zone not in forbidden.overridable_zones:
        outcome, problem = "refused", f"{problem}, and allows no override there"
    elif second is None or second == uow.actor.label():
        outcome, problem = "refused", f"{problem}: an override needs a second officer, named, other than you"
    elif not (override_reason or "").strip():
        outcome, problem = "refused", f"{problem}: an override needs a reason"
    elif uow.actor.role not in (Role.administrator, Role.officer):
        outcome, problem = "refused", f"{problem}: an override is taken by an officer"
    elif not _approved(uow, second, national_id, unit):
        outcome, problem = "refused", (f"{problem}: the second officer named has not approved this override for this "
                                       f"person and unit in the last {APPROVAL_DAYS} days (callup service approve-override)")
    else:
        outcome = "overridden"
    return _record(uow, national_id=national_id, region=region, record_id=record_id, action=action, status=status, unit=unit,
                   zone=zone, outcome=outcome, problem=problem, second=second, reason=override_reason)


def _approved(uow: UnitOfWork, second: str, national_id: str, unit: str) -> bool:
    """Whether `second` approved an override for this person and unit recently, and no override has used it since."""
    since = uow.now() - dt.timedelta(days=APPROVAL_DAYS)
    approval = uow.execute(select(attempts.c.id).where(
        attempts.c.outcome == "approval", attempts.c.actor == second, attempts.c.national_id == national_id,
        attempts.c.unit == unit, attempts.c.at >= since).order_by(attempts.c.id.desc()).limit(1)).scalar()
    if approval is None:
        return False
    used = uow.execute(select(attempts.c.id).where(attempts.c.outcome == "overridden", attempts.c.national_id == national_id,
                                                   attempts.c.unit == unit, attempts.c.id > approval).limit(1)).first()
    return used is None


def approve_override(uow: UnitOfWork, campaign: str, national_id: str, *, unit: str, reason: str) -> Verdict:
    """A second officer approves, in their own name and with a reason, one override for this person and unit.

    Only where the policy allows an override for the unit's zone; the approval is recorded (and
    listed by the report) and is used up by the one override that names this officer.
    """
    from callup.cases.errors import CaseInputError, CaseStateError
    from callup.cases.transitions import call_of

    uow.ctx.require(Role.administrator, Role.officer, doing="approving a deployment override")
    if not reason or not reason.strip():
        raise CaseInputError("an approval of an override needs a reason", field="reason")
    call = call_of(uow, campaign, national_id)
    zone = unit_zone(uow, unit)
    # the status of the person's serving record (a contract soldier after a conversion); not yet inducted: a conscript
    status = uow.execute(select(ServiceRecord.__table__.c.service_status).where(
        ServiceRecord.__table__.c.national_id == call["national_id"], ServiceRecord.__table__.c.state == "serving")).scalar() or "conscript"
    rules = [r for r in uow.ctx.policy().in_force(uow.ctx.today()).deployment if r.status == status]
    if not any(zone in r.forbidden_zones for r in rules):
        raise CaseStateError(f"{unit.strip()}: a {zone} zone is not forbidden for a {status}: no override is needed")
    if not any(zone in r.overridable_zones for r in rules):
        raise CaseStateError(f"{unit.strip()}: the policy allows no override in a {zone} zone")
    return _record(uow, national_id=call["national_id"], region=call["region"], record_id=None, action="approve", status=status,
                   unit=unit.strip(), zone=zone, outcome="approval", problem="a second officer approved one override",
                   second=None, reason=reason)


def _record(uow: UnitOfWork, *, national_id: str, region: str, record_id: int | None, action: str, status: str, unit: str,
            zone: str, outcome: str, problem: str, second: str | None, reason: str | None) -> Verdict:
    override_reason = reason
    attempt = uow.execute(insert(attempts).values(
        national_id=national_id, region=region, record_id=record_id, action=action, status=status, unit=unit, zone=zone,
        outcome=outcome, problem=problem, second_officer=second, override_reason=(override_reason or "").strip() or None,
        at=uow.now(), actor=uow.actor.label(), role=uow.actor.role.value)).inserted_primary_key[0]
    uow.record(DeploymentAttempted(target=person(national_id), attempt=attempt, unit=unit, zone=zone, status=status,
                                   outcome=outcome, second_officer=second))
    return Verdict(unit, zone, outcome == "overridden", outcome == "overridden", problem, attempt)


@dataclasses.dataclass(frozen=True)
class AttemptView:
    id: int
    at: dt.datetime
    actor: str
    role: str
    national_id: str
    region: str
    action: str
    status: str
    unit: str
    zone: str
    outcome: str
    problem: str
    second_officer: str | None
    override_reason: str | None


def report(uow: UnitOfWork, *, since: dt.date | None = None) -> list[AttemptView]:
    """Every refusal and override attempt, oldest first, in the actor's regions."""
    uow.ctx.require(Role.administrator, Role.officer, Role.auditor, Role.system, doing="reading the guardrail report")
    query = select(attempts).order_by(attempts.c.at, attempts.c.id)
    scope = uow.ctx.region_filter(attempts.c.region)
    if scope is not None:
        query = query.where(scope)
    if since is not None:
        query = query.where(attempts.c.at >= dt.datetime.combine(since, dt.time.min, tzinfo=dt.UTC))
    return [AttemptView(r["id"], r["at"], r["actor"], r["role"], r["national_id"], r["region"], r["action"], r["status"],
                        r["unit"], r["zone"], r["outcome"], r["problem"], r["second_officer"], r["override_reason"])
            for r in uow.execute(query).mappings()]


@dataclasses.dataclass(frozen=True, kw_only=True)
class GuardrailReportRead(AuditEvent):
    """deployment.report: the deployment guardrail report was displayed: one entry for the view (target `deployment`,
    the rows shown) and one for each person it listed."""

    action: ClassVar[str] = "deployment.report"
    rows: int
    since: str | None = None


def read_report(uow: UnitOfWork, *, since: dt.date | None = None) -> list[AttemptView]:
    """`report`, displayed to someone: the view and each person it lists are recorded (needs a writing unit of work)."""
    found = report(uow, since=since)
    shown = since.isoformat() if since else None
    for national_id in sorted({a.national_id for a in found}):
        uow.record(GuardrailReportRead(target=person(national_id), rows=sum(a.national_id == national_id for a in found),
                                       since=shown))
    uow.record(GuardrailReportRead(target="deployment", rows=len(found), since=shown))
    return found
