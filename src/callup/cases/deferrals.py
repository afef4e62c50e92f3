"""Deferrals: an application citing a policy ground, checked at once where the policy names a registry.

Where the ground names a registry, the check runs when the application is made and its result
and source are stored with the case, for the officer to see. Where the policy also sets
`auto_grant` and the registry verifies the ground, the deferral is granted in the same request
by the system (until the registry's date, at most the ground's maximum); a ground that does not
verify waits in the queue for an officer: nothing is ever refused automatically. A granted
deferral has an end date; it ends the call (the next person in reserve is called) and keeps
the person out of the pool until that date.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from callup.cases import registries, transitions
from callup.cases.applications import Deciding, Decision, case_of_kind, decide_each, live_call
from callup.cases.errors import CaseInputError
from callup.cases.tables import CaseKind
from callup.cases.views import CaseView, as_view
from callup.context import Actor, Role
from callup.policy.model import DeferralGround
from callup.policy.months import add_months
from callup.uow import UnitOfWork

SYSTEM = Actor("callup: registry check", Role.system)


@dataclasses.dataclass(frozen=True)
class DeferralOutcome:
    case: CaseView
    check: registries.Check | None
    granted_automatically: bool
    released: bool
    replacement: str | None
    filled_by: str | None = None  # how the ended call was filled (campaigns.replacements.Replacement.filled_by)


def ground_of(uow: UnitOfWork, code: str) -> DeferralGround:
    """The deferral ground `code` of the policy in force today; `CaseInputError` naming the known ones."""
    known = uow.ctx.policy().in_force(uow.ctx.today()).deferral_grounds
    for g in known:
        if g.code == code.strip():
            return g
    raise CaseInputError(f"deferral ground {code!r} is not one of the policy's: {', '.join(g.code for g in known) or '(none)'}",
                         field="ground")


def end_date(uow: UnitOfWork, ground: DeferralGround, until: dt.date | None) -> dt.date:
    """A granted deferral's end date: `until`, else the ground's maximum; after today and at most the maximum away."""
    today = uow.ctx.today()
    latest = add_months(today, ground.max_months)
    until = until or latest
    if not today < until <= latest:
        raise CaseInputError(f"a deferral on ground {ground.code} ends after today and at most {ground.max_months} months "
                             f"away (by {latest.isoformat()})", field="until")
    return until


def apply_for_deferral(uow: UnitOfWork, campaign: str, national_id: str, ground: str, *, evidence: str | None = None,
                       reason: str | None = None) -> DeferralOutcome:
    """Record an application (portal or officer); check it against the ground's registry at once."""
    found = ground_of(uow, ground)
    call = live_call(uow, campaign, national_id, CaseKind.deferral)
    today = uow.ctx.today()
    check = registries.check(uow, found.registry, call["national_id"], today) if found.registry else None
    if found.evidence and not (evidence and evidence.strip()) and not (check and check.result == "verified"):
        raise CaseInputError(f"ground {found.code} needs evidence: {', '.join(found.evidence)} (a document reference)",
                             field="evidence")
    values = {"check_result": check.result, "check_source": check.source} if check else None
    case = transitions.open_case(uow, campaign, national_id, CaseKind.deferral, reason=reason, evidence=evidence,
                                 ground=found.code, values=values, call=call,
                                 effect={"check": check.result, "source": check.source} if check else None)
    valid_until = check.valid_until if check is not None and check.result == "verified" else None  # (a verified check has one)
    granted: Decision | None = None
    if check is not None and valid_until is not None and found.auto_grant and valid_until > today:
        own = uow.ctx
        uow.ctx = own.with_actor(SYSTEM)
        try:
            until = min(valid_until, add_months(today, found.max_months))
            granted = decide_each(uow, [Deciding(transitions.load(uow, case["id"], lock=True), "grant",
                                                 f"verified automatically: {check.source}", {"until": until})],
                                  evidence=evidence, automatic=True)[0]
        finally:
            uow.ctx = own
    if granted is None:
        return DeferralOutcome(as_view(uow, case), check, False, False, None)
    return DeferralOutcome(granted.case, check, True, granted.released, granted.replacement, granted.filled_by)


def decide_deferral(uow: UnitOfWork, case_id: int, decision: str, *, reason: str, until: dt.date | None = None,
                    evidence: str | None = None, loaded: Any = None) -> DeferralOutcome:
    """An officer grants (until a date within the ground's maximum) or refuses a deferral, with reasons (`loaded`: the
    case row locked, when the caller has it)."""
    case = case_of_kind(uow, case_id, CaseKind.deferral, loaded=loaded)
    done = decide_each(uow, [deciding(uow, case, decision, reason, until)], evidence=evidence)[0]
    return DeferralOutcome(done.case, None, False, done.released, done.replacement, done.filled_by)


def deciding(uow: UnitOfWork, case: Any, decision: str, reason: str, until: dt.date | None) -> Deciding:
    """A decision on deferral `case` for an officer's list: a grant ends on `until` (`end_date`); a refusal has no end."""
    if decision == "grant":
        uow.ctx.require(Role.administrator, Role.officer, doing="granting a deferral")  # before the date is looked at
        return Deciding(case, decision, reason, {"until": end_date(uow, ground_of(uow, case["ground"]), until)})
    if until is not None and decision == "refuse":
        raise CaseInputError("a refusal has no end date", field="until")
    return Deciding(case, decision, reason)
