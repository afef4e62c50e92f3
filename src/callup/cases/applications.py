"""What applications (deferral, exemption, civilian service) share: who may apply, deciding, withdrawing."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
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


#: What a granted application ends the call as.
RELEASED_AS = {CaseKind.deferral: ReleaseReason.deferred, CaseKind.exemption: ReleaseReason.exempted,
               CaseKind.civilian_service: ReleaseReason.civilian_service}


@dataclasses.dataclass(frozen=True)
class Deciding:
    """One decision of an officer's list: the application's case row (loaded locked), grant or refuse, the reasons,
    and what a grant sets besides (a deferral's end date)."""

    case: Any
    decision: str
    reason: str | None
    values: dict[str, Any] | None = None


def decide_each(uow: UnitOfWork, deciding: Sequence[Deciding], *, evidence: str | None = None,
                automatic: bool = False) -> list[Decision]:
    """Grant or refuse each application of a list, in a few statements whatever its length (one UPDATE for each kind,
    decision, reason and end date it holds): everything is checked first, then the granted calls end and are filled
    from the reserve in the list's order (`effects.release_each`) and the cases move, as one by one. All or none: a
    decision that cannot be taken refuses the list. A grant is an officer's, unless `automatic` (the system's, on a
    ground a registry verified)."""
    if len({d.case["id"] for d in deciding}) < len(deciding):
        raise CaseInputError("a case is decided once: the list names one twice", field="case")
    for d in deciding:
        kind = CaseKind(transitions.value(d.case["kind"]))
        if kind not in RELEASED_AS:
            raise CaseInputError(f"{transitions.subject(d.case)} is not an application to grant or refuse", field="case")
        if d.decision not in ("grant", "refuse"):
            raise CaseInputError(f"decision {d.decision!r} is not grant or refuse", field="decision")
        if d.decision == "grant" and not automatic:
            uow.ctx.require(Role.administrator, Role.officer, doing=f"granting a {kind.value.replace('_', ' ')}")
        transitions.precheck(uow, d.case, d.decision, d.reason)  # before anything changes: a refused step releases nobody
    granting = [d.case for d in deciding if d.decision == "grant"]
    ended = dict(zip((case["id"] for case in granting),
                     effects.release_each(uow, [(case, RELEASED_AS[CaseKind(transitions.value(case["kind"]))])
                                                for case in granting]), strict=True))
    # cases taking the same step with the same reasons and values: one UPDATE each
    groups: dict[tuple[str, str, str | None, tuple[tuple[str, Any], ...]], list[int]] = {}
    for i, d in enumerate(deciding):
        key = (transitions.value(d.case["kind"]), d.decision, d.reason, tuple(sorted((d.values or {}).items())))
        groups.setdefault(key, []).append(i)
    afters: list[Any] = [None] * len(deciding)
    for (_, decision, reason, values), members in groups.items():
        rows = transitions.transition_each(uow, [deciding[i].case for i in members], decision, reason=reason, evidence=evidence,
                                           effects=[ended.get(deciding[i].case["id"]) for i in members],
                                           values=dict(values) or None)
        for i, row in zip(members, rows, strict=True):
            afters[i] = row
    return [Decision(as_view(uow, after), bool(effect.get("release")), effect.get("replacement"), effect.get("filled_by"))
            for after, effect in zip(afters, (ended.get(d.case["id"], {}) for d in deciding), strict=True)]


def withdraw(uow: UnitOfWork, case_id: int, *, reason: str | None = None) -> CaseView:
    """The applicant (or an officer for them) withdraws an application or appeal that is still waiting."""
    case = transitions.load(uow, case_id, lock=True)
    return as_view(uow, transitions.transition(uow, case, "withdraw", reason=reason))
