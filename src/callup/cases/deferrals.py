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

from callup.campaigns.kinds import ReleaseReason
from callup.cases import registries, transitions
from callup.cases.applications import case_of_kind, grant, live_call
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


def _grant(uow: UnitOfWork, case: Any, ground: DeferralGround, until: dt.date | None, *, reason: str | None,
           evidence: str | None) -> tuple[Any, dict[str, Any]]:
    today = uow.ctx.today()
    latest = add_months(today, ground.max_months)
    until = until or latest
    if not today < until <= latest:
        raise CaseInputError(f"a deferral on ground {ground.code} ends after today and at most {ground.max_months} months "
                             f"away (by {latest.isoformat()})", field="until")
    return grant(uow, case, ReleaseReason.deferred, reason=reason, evidence=evidence, values={"until": until})


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
    automatic = False
    effect: dict[str, Any] = {}
    if check is not None and valid_until is not None and found.auto_grant and valid_until > today:
        automatic = True
        own = uow.ctx
        uow.ctx = own.with_actor(SYSTEM)
        try:
            until = min(valid_until, add_months(today, found.max_months))
            case, effect = _grant(uow, transitions.load(uow, case["id"], lock=True), found, until,
                                  reason=f"verified automatically: {check.source}", evidence=evidence)
        finally:
            uow.ctx = own
    return DeferralOutcome(as_view(uow, case), check, automatic, bool(effect.get("release")), effect.get("replacement"),
                           effect.get("filled_by"))


def decide_deferral(uow: UnitOfWork, case_id: int, decision: str, *, reason: str, until: dt.date | None = None,
                    evidence: str | None = None, loaded: Any = None) -> DeferralOutcome:
    """An officer grants (until a date within the ground's maximum) or refuses a deferral, with reasons (`loaded`: the
    case row locked, when the caller has it)."""
    case = case_of_kind(uow, case_id, CaseKind.deferral, loaded=loaded)
    if decision == "grant":
        uow.ctx.require(Role.administrator, Role.officer, doing="granting a deferral")
        case, effect = _grant(uow, case, ground_of(uow, case["ground"]), until, reason=reason, evidence=evidence)
    elif decision == "refuse":
        if until is not None:
            raise CaseInputError("a refusal has no end date", field="until")
        case, effect = transitions.transition(uow, case, "refuse", reason=reason, evidence=evidence), {}
    else:
        raise CaseInputError(f"decision {decision!r} is not grant or refuse", field="decision")
    return DeferralOutcome(as_view(uow, case), None, False, bool(effect.get("release")), effect.get("replacement"),
                           effect.get("filled_by"))
