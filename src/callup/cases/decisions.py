"""One entry point for an officer's decision on an application, whatever its kind."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import update

from callup.cases import deferrals, transitions
from callup.cases.appeals import decide_appeal
from callup.cases.applications import Deciding, Decision, decide_each
from callup.cases.errors import CaseChanged, CaseInputError
from callup.cases.tables import Case, CaseKind
from callup.cases.views import CaseView, as_view
from callup.uow import UnitOfWork


@dataclasses.dataclass(frozen=True)
class ApplicationDecision:
    """One of an officer's decisions on applications: the case, grant or refuse, the reasons, a deferral's end date."""

    case_id: int
    decision: str
    reason: str
    until: dt.date | None = None


def decide_application(uow: UnitOfWork, case_id: int, decision: str, *, reason: str, until: dt.date | None = None,
                       evidence: str | None = None) -> Decision:
    """Grant or refuse a deferral, exemption or civilian service application (an end date for deferrals only)."""
    return decide_applications(uow, [ApplicationDecision(case_id, decision, reason, until)], evidence=evidence)[0]


def decide_applications(uow: UnitOfWork, decided: Sequence[ApplicationDecision], *,
                        evidence: str | None = None) -> list[Decision]:
    """`decide_application` for each of an officer's list, whatever the kinds, in a few statements whatever its length
    (`applications.decide_each`): the calls the grants end are filled from the reserve in the list's order, as one by
    one. All or none."""
    cases = transitions.load_each(uow, [d.case_id for d in decided], lock=True)
    deciding = []
    for case, d in zip(cases, decided, strict=True):
        kind = CaseKind(transitions.value(case["kind"]))
        if kind is CaseKind.deferral:
            deciding.append(deferrals.deciding(uow, case, d.decision, d.reason, d.until))
            continue
        if d.until is not None:
            raise CaseInputError(f"only a deferral has an end date; case {case['id']} is a {kind.value.replace('_', ' ')} "
                                 "case", field="until")
        deciding.append(Deciding(case, d.decision, d.reason))
    return decide_each(uow, deciding, evidence=evidence)


def decide_case(uow: UnitOfWork, case_id: int, decision: str, *, reason: str, until: dt.date | None = None,
                evidence: str | None = None, version: int | None = None) -> CaseView:
    """Decide what waits on case `case_id`: uphold or overturn an appeal, grant or refuse an application
    (`until`: a deferral's end date). Returns the case after the decision; the decision is the
    audited step, so no read of the person's record is recorded besides it.

    `version`: the case's version the decision was made on (the page's); `CaseChanged` when the case
    has taken a step since, so of two officers deciding at once the second is told, not overruled."""
    # Read without a lock (the decision's service locks it): of two officers deciding at once, both read the waiting
    # case and the guarded step lets one through; the other is refused by the case's state (or `CaseChanged`).
    case = transitions.load(uow, case_id)  # not found, or out of the actor's regions: the same answer as ever
    if version is not None:
        _claim(uow, case, version)
    if CaseKind(transitions.value(case["kind"])) is CaseKind.appeal:
        decide_appeal(uow, case_id, decision, reason=reason, evidence=evidence)
    else:
        decide_application(uow, case_id, decision, reason=reason, until=until, evidence=evidence)
    return as_view(uow, transitions.load(uow, case_id))


def _claim(uow: UnitOfWork, case: Any, version: int) -> None:
    """Hold `case` (its row, as loaded) for this transaction if it is still at `version`, else `CaseChanged`.

    The check is the UPDATE's own condition: on PostgreSQL a concurrent decision holds the row until
    it commits and the condition is then checked again against the row it wrote (its step raised the
    version); SQLite runs writing transactions one at a time."""
    held = uow.execute(update(Case).where(Case.id == case["id"], Case.version == version).values(version=Case.version)).rowcount
    if held != 1:
        raise CaseChanged(f"{transitions.subject(case)} changed while you were deciding: look at it again and decide anew")
