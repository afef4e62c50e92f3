"""The force the service records describe on a day: who serves, by status and months served, and the conversions so far.

Read by the planning from the live store (`callup plan project --from-store`), which starts its
projection from these figures. Dates decide, not states, so any past day can be asked: a record
serves on a day from its start up to (not including) the day it ended, or its planned end
while it has not ended.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select

from callup.context import Role
from callup.military_service.induction import CONSCRIPT, CONTRACT, months_served
from callup.military_service.tables import ServiceRecord
from callup.policy.months import add_months
from callup.uow import UnitOfWork

__all__ = ["Strength", "strength_on"]

records = ServiceRecord.__table__
DAYS_PER_MONTH = 365.2425 / 12


@dataclasses.dataclass(frozen=True)
class Strength:
    on: dt.date
    term_months: int  # the conscript term of the policy in force on the day
    conscripts_by_month: list[int]  # serving conscripts by whole months served (index 0: less than one month)
    contract: int  # serving contract soldiers
    conversions: int  # contracts signed on or before the day, before the last month of the conscript's term
    conscript_months: float  # months of conscript service on or before the day, before the last month of each term
    conversions_at_term_end: int  # contracts signed in the last month of the term, on or before the day
    reached_term_end: int  # conscripts still serving when the last month of their term began, on or before the day


def strength_on(uow: UnitOfWork, on: dt.date) -> Strength:
    """Counts only (no person is named), in the actor's regions."""
    uow.ctx.require(Role.administrator, Role.officer, Role.auditor, Role.system, doing="reading the force's strength")
    term = uow.ctx.policy().in_force(on).service.term_months
    query = select(records.c.service_status, records.c.state, records.c.start, records.c.planned_end,
                   records.c.ended_on).where(records.c.start <= on)
    scope = uow.ctx.region_filter(records.c.region)
    by_month = [0] * term
    contract = during = at_end = reached = 0
    days = 0
    for r in uow.execute(query if scope is None else query.where(scope)):
        end = r.ended_on or r.planned_end
        serving = on < end
        if r.service_status == CONSCRIPT:
            if serving:
                by_month[min(months_served(r.start, on), term - 1)] += 1
            # the planning model converts each month of the term, and once more on completing it: the last month's
            # contracts are the term-end rate's, of those who were still serving when it began
            last = add_months(r.planned_end, -1)
            days += max(0, (min(end, on, last) - r.start).days)
            reached += last <= on and end > last
            if r.state == "converted" and r.ended_on <= on:
                if r.ended_on >= last:
                    at_end += 1
                else:
                    during += 1
        elif r.service_status == CONTRACT:
            contract += serving
    return Strength(on, term, by_month, contract, during, round(days / DAYS_PER_MONTH, 3), at_end, reached)
