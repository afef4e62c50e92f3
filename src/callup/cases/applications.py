"""What applications (deferral, exemption, civilian service) share: who may apply, deciding, withdrawing."""

from __future__ import annotations

import dataclasses
from typing import Any

from callup.campaigns.kinds import CampaignStatus, ReleaseReason
from callup.cases import effects, transitions
from callup.cases.errors import CaseInputError, CaseStateError
from callup.cases.tables import CaseKind
from callup.cases.views import CaseView, as_view
from callup.context import Role
from callup.uow import UnitOfWork


@dataclasses.dataclass(frozen=True)
class Decision:
    case: CaseView
    released: bool
    replacement: str | None
    filled_by: str | None = None  # how the ended call was filled (campaigns.replacements.Replacement.filled_by)


def live_call(uow: UnitOfWork, campaign: str, national_id: str, kind: CaseKind) -> Any:
    """The person's call, which must not have ended, with no open case of `kind` (`CaseStateError` otherwise)."""
    what = kind.value.replace("_", " ")
    call = open_call(uow, campaign, national_id, what=what)
    if transitions.open_cases_of(uow, call["campaign_id"], call["national_id"], kind):
        raise CaseStateError(f"that person already has an open {what} case in campaign {campaign!r}")
    return call


def may_apply(uow: UnitOfWork, campaign: str, national_id: str) -> bool:
    """Whether the person may still apply for anything in the campaign (called, not released, not inducted, open)."""
    try:
        open_call(uow, campaign, national_id, what="application")
    except CaseStateError:
        return False
    return True


def open_call(uow: UnitOfWork, campaign: str, national_id: str, *, what: str) -> Any:
    """The person's call, refused (`CaseStateError`) once it has ended, they were inducted or the campaign closed."""
    call = transitions.call_of(uow, campaign, national_id)
    if call["release_reason"] is not None:
        raise CaseStateError(f"that person's call in campaign {campaign!r} has ended: no {what} to apply for")
    if call["campaign_status"] == CampaignStatus.closed.value:
        raise CaseStateError(f"campaign {campaign!r} is closed: no new {what} applications (cases already open go on)")
    if call["inducted_at"] is not None:
        raise CaseStateError(f"that person was inducted in campaign {campaign!r}: no {what} to apply for")
    return call


def case_of_kind(uow: UnitOfWork, case_id: int, kind: CaseKind, *, loaded: Any = None) -> Any:
    """The case, locked, which must be of `kind`; `loaded`: the case row when the caller has just loaded it locked
    (`transitions.load(..., lock=True)`), so that it is not read twice."""
    case = loaded if loaded is not None else transitions.load(uow, case_id, lock=True)
    if transitions.value(case["kind"]) != kind.value:
        raise CaseInputError(f"{transitions.subject(case)} is not a {kind.value.replace('_', ' ')} case", field="case")
    return case


def grant(uow: UnitOfWork, case: Any, release: ReleaseReason, *, reason: str | None, evidence: str | None = None,
          values: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
    """Grant: everything checked first, then the call ends (with a replacement) and the case moves, in one transaction."""
    transitions.precheck(uow, case, "grant", reason)
    effect = effects.release(uow, case, release)
    return transitions.transition(uow, case, "grant", reason=reason, evidence=evidence, effect=effect, values=values), effect


def decide(uow: UnitOfWork, case_id: int, kind: CaseKind, decision: str, release: ReleaseReason, *, reason: str,
           evidence: str | None = None, loaded: Any = None) -> Decision:
    """An officer grants (ending the call) or refuses an application of `kind`, with reasons (`loaded`: `case_of_kind`)."""
    case = case_of_kind(uow, case_id, kind, loaded=loaded)
    if decision == "grant":
        uow.ctx.require(Role.administrator, Role.officer, doing=f"granting a {kind.value.replace('_', ' ')}")
        case, effect = grant(uow, case, release, reason=reason, evidence=evidence)
    elif decision == "refuse":
        case, effect = transitions.transition(uow, case, "refuse", reason=reason, evidence=evidence), {}
    else:
        raise CaseInputError(f"decision {decision!r} is not grant or refuse", field="decision")
    return Decision(as_view(uow, case), bool(effect.get("release")), effect.get("replacement"),
                    effect.get("filled_by"))


def withdraw(uow: UnitOfWork, case_id: int, *, reason: str | None = None) -> CaseView:
    """The applicant (or an officer for them) withdraws an application or appeal that is still waiting."""
    case = transitions.load(uow, case_id, lock=True)
    return as_view(uow, transitions.transition(uow, case, "withdraw", reason=reason))
