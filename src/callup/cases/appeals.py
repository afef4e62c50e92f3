"""Appeals against case decisions.

Any decided case whose state its machine lets be overturned can be appealed, up to its appeal
deadline (the policy's `appeals.deadline_days` after the decision); a late appeal is refused
with the deadline shown. While an appeal is lodged the person is not inducted. An officer other
than the one who made the contested decision upholds it or overturns it, with reasons.
Overturning restores the contested case exactly as it was before the decision (state and the
columns the decision set, from the "before" it stored) and undoes its effect: a released
person's call is theirs again; the replacement called meanwhile keeps their call but no
longer counts towards the region's number (the campaign report shows them as supernumerary).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from callup.cases import effects, transitions
from callup.cases.applications import case_of_kind
from callup.cases.errors import CaseInputError, CaseStateError
from callup.cases.machines import appealable
from callup.cases.tables import CaseKind
from callup.cases.views import CaseView, as_view
from callup.context import Role
from callup.uow import UnitOfWork


class AppealLate(CaseStateError):
    """The appeal deadline of the decision has passed."""


@dataclasses.dataclass(frozen=True)
class AppealOutcome:
    appeal: CaseView
    contested: CaseView
    restored_call: bool
    replacement_kept: str | None


def _refusal(uow: UnitOfWork, contested: Any) -> CaseStateError | None:
    """Why no appeal may be lodged against the case row `contested` today; None when one may.
    One appeal per decision: an appeal lodged or upheld bars another."""
    kind = CaseKind(transitions.value(contested["kind"]))
    if kind is CaseKind.appeal or not appealable(kind, contested["state"]):
        return CaseStateError(f"{transitions.subject(contested)} is {contested['state']}: there is no decision to appeal")
    deadline, today = contested["appeal_deadline"], uow.ctx.today()
    if deadline is not None and today > deadline:
        return AppealLate(f"the appeal deadline of {transitions.subject(contested)} was {deadline.isoformat()} "
                          f"({(today - deadline).days} days ago): a late appeal cannot be lodged")
    if transitions.appealed(uow, contested):
        return CaseStateError(f"{transitions.subject(contested)} already has an appeal lodged")
    return None


def may_appeal(uow: UnitOfWork, case_id: int) -> bool:
    """Whether an appeal against case `case_id` may be lodged today (the rule `lodge_appeal` enforces),
    so a page offers the form only where it can succeed. `CaseNotFound` as for reading the case."""
    return _refusal(uow, transitions.load(uow, case_id)) is None


def lodge_appeal(uow: UnitOfWork, case_id: int, *, reason: str, evidence: str | None = None) -> CaseView:
    """Lodge an appeal against the decision of case `case_id` (by the person, or an officer for them)."""
    if not reason or not reason.strip():
        raise CaseInputError("an appeal states why: write your reasons", field="reason")
    contested = transitions.load(uow, case_id, lock=True)
    refused = _refusal(uow, contested)
    if refused is not None:
        raise refused
    kind = CaseKind(transitions.value(contested["kind"]))
    appeal = transitions.open_case(uow, contested["campaign"], contested["national_id"], CaseKind.appeal, reason=reason,
                                   evidence=evidence, ground=f"{kind.value}:{contested['state']}", appeals=contested["id"])
    return as_view(uow, appeal)


def decide_appeal(uow: UnitOfWork, appeal_id: int, decision: str, *, reason: str, evidence: str | None = None,
                  loaded: Any = None) -> AppealOutcome:
    """Uphold the contested decision, or overturn it and restore the case and the call exactly (`loaded`: the appeal's
    row locked, when the caller has it)."""
    uow.ctx.require(Role.administrator, Role.officer, doing="deciding an appeal")
    appeal = case_of_kind(uow, appeal_id, CaseKind.appeal, loaded=loaded)
    if appeal["appeals_case_id"] is None:
        return _decide_summons_appeal(uow, appeal, decision, reason=reason, evidence=evidence)
    contested = transitions.load(uow, appeal["appeals_case_id"], lock=True)
    if contested["decided_by"] == uow.actor.label():
        raise CaseStateError(f"{transitions.subject(appeal)} contests your own decision: another officer decides it")
    if decision == "uphold":
        after = transitions.transition(uow, appeal, "uphold", reason=reason, evidence=evidence)
        return AppealOutcome(as_view(uow, after), as_view(uow, contested), False, None)
    if decision != "overturn":
        raise CaseInputError(f"decision {decision!r} is not uphold or overturn", field="decision")
    transitions.precheck(uow, appeal, "overturn", reason)
    transitions.precheck(uow, contested, "overturn", reason)
    effect = effects.decision_effect(uow, contested)
    undone = effects.restore(uow, contested, effect)
    contested = transitions.transition(uow, contested, "overturn", reason=f"overturned on appeal {appeal['id']}",
                                       evidence=evidence, values=transitions.restored(effect.get("before", {})), effect=undone)
    after = transitions.transition(uow, appeal, "overturn", reason=reason, evidence=evidence,
                                   effect={"contested": contested["id"], **undone})
    return AppealOutcome(as_view(uow, after), as_view(uow, contested), bool(undone.get("restored")), undone.get("replacement_kept"))


def _decide_summons_appeal(uow: UnitOfWork, appeal: Any, decision: str, *, reason: str, evidence: str | None) -> AppealOutcome:
    """An appeal against the summons itself: upheld, the summons stands; overturned, the person should not
    have been called, so the call ends (as for someone who left the pool) and the next in reserve is called."""
    if decision == "uphold":
        after = transitions.transition(uow, appeal, "uphold", reason=reason, evidence=evidence)
        return AppealOutcome(as_view(uow, after), as_view(uow, after), False, None)
    if decision != "overturn":
        raise CaseInputError(f"decision {decision!r} is not uphold or overturn", field="decision")
    transitions.precheck(uow, appeal, "overturn", reason)
    effect = effects.release_not_liable(uow, appeal)
    after = transitions.transition(uow, appeal, "overturn", reason=reason, evidence=evidence, effect=effect)
    return AppealOutcome(as_view(uow, after), as_view(uow, after), False, effect.get("replacement"))


def lodged_appeal(open_cases: list[Any]) -> Any:
    """The lodged appeal among a person's open cases in a campaign (`transitions.open_cases_of`), if any: an appeal
    suspends induction until it is decided."""
    return next((c for c in open_cases if transitions.value(c["kind"]) == CaseKind.appeal.value), None)
