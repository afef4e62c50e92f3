"""Alternative civilian service on grounds of conscience.

The application states the person's reasons; an officer grants or refuses it with reasons. A
grant ends the military call (the next person in reserve is called) and keeps the person out of
every later pool, so they are never inducted afterwards (induction refuses them too). The
granted person is then assigned to a civilian employer for the policy's term
(`service.alternative_service_term_months`) and the assignment completes at its planned end.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import Table, and_, insert, select, update

from callup.cases import transitions
from callup.cases.applications import case_of_kind, live_call
from callup.cases.errors import CaseInputError
from callup.cases.tables import Case, CaseKind, CivilianAssignment
from callup.cases.views import CaseView, as_view
from callup.policy.months import add_months
from callup.uow import UnitOfWork

assignments, cases = cast(Table, CivilianAssignment.__table__), cast(Table, Case.__table__)
GROUND = "conscience"
NEVER_INDUCTED = ("granted", "assigned", "completed")  # the states of a granted civilian service


def granted(uow: UnitOfWork, national_id: str) -> bool:
    """Whether the person was granted alternative civilian service in any campaign (granted, assigned or completed):
    such a person is never inducted into the military."""
    return granted_among(uow.execute(select(cases.c.kind, cases.c.state).where(
        cases.c.national_id == national_id, cases.c.kind == CaseKind.civilian_service.value)).mappings())


def granted_among(rows: Iterable[Any]) -> bool:
    """`granted`, on the person's civilian service cases of every campaign already read (`transitions.person_cases`)."""
    return any(transitions.value(r["kind"]) == CaseKind.civilian_service.value and r["state"] in NEVER_INDUCTED for r in rows)


@dataclasses.dataclass(frozen=True)
class Assignment:
    case: CaseView
    employer: str
    start: dt.date
    planned_end: dt.date
    term_months: int
    completed_on: dt.date | None


def apply_for_civilian_service(uow: UnitOfWork, campaign: str, national_id: str, *, statement: str,
                               evidence: str | None = None) -> CaseView:
    """Record an application for alternative civilian service; the person's statement of conscience is its reason."""
    if not statement or not statement.strip():
        raise CaseInputError("an application for civilian service states the reasons of conscience", field="statement")
    call = live_call(uow, campaign, national_id, CaseKind.civilian_service)
    return as_view(uow, transitions.open_case(uow, campaign, national_id, CaseKind.civilian_service, reason=statement,
                                              evidence=evidence, ground=GROUND, call=call))


def assign(uow: UnitOfWork, case_id: int, *, employer: str, start: dt.date, reason: str | None = None) -> Assignment:
    """Assign a granted person to a civilian employer from `start` for the policy's term."""
    if not employer or not employer.strip():
        raise CaseInputError("name the civilian employer", field="employer")
    case = case_of_kind(uow, case_id, CaseKind.civilian_service)
    if start < uow.ctx.today() - dt.timedelta(days=31):
        raise CaseInputError("the start of a civilian assignment cannot be more than a month in the past", field="start")
    term = uow.ctx.policy().in_force(start).service.alternative_service_term_months
    end = add_months(start, term)
    after = transitions.transition(uow, case, "assign", reason=reason or f"assigned to {employer.strip()[:200]}",
                                   values={"until": end})
    uow.execute(insert(assignments).values(case_id=case["id"], employer=employer.strip(), start=start, planned_end=end,
                                           term_months=term, assigned_at=uow.now(), assigned_by=uow.actor.label()))
    return Assignment(as_view(uow, after), employer.strip(), start, end, term, None)


def complete_due(uow: UnitOfWork, on: dt.date) -> list[int]:
    """Complete every civilian assignment whose planned end is on or before `on` (batch, idempotent); the case numbers."""
    query = select(cases.c.id).join(assignments, assignments.c.case_id == cases.c.id).where(
        and_(cases.c.state == "assigned", assignments.c.planned_end <= on)).order_by(cases.c.id)
    scope = uow.ctx.region_filter(cases.c.region)
    due = uow.execute(query if scope is None else query.where(scope)).scalars().all()
    done = []
    for case_id in due:
        case = transitions.load(uow, case_id, lock=True)
        transitions.transition(uow, case, "complete", reason=f"term completed on {on.isoformat()}")
        uow.execute(update(assignments).where(assignments.c.case_id == case_id).values(completed_on=on))
        done.append(case_id)
    return done
