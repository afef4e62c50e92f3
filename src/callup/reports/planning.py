"""The live store's figures for a projection (`callup plan ... --from-store`), handed to the pure planner as plain data.

Planning imports no store; this reads it: the service records' strength on the day (military
service) and the outcome tables of the closed campaigns (the campaign report's), calibrated the
way `callup plan calibrate` calibrates a file. Counts only: no person is named.
"""

from __future__ import annotations

import datetime as dt

from callup.campaigns.service import list_campaigns
from callup.military_service.strength import strength_on
from callup.planning.calibration import calibrate_rows
from callup.planning.store import StoreFigures
from callup.reports.outcomes import campaign_report, outcome_rows
from callup.uow import UnitOfWork

__all__ = ["store_figures"]


def store_figures(uow: UnitOfWork, on: dt.date) -> StoreFigures:
    """What the store says on `on`: the strength, the conversions observed and the yield of the closed campaigns."""
    strength = strength_on(uow, on)
    closed = [c.name for c in list_campaigns(uow, status="closed") if c.window_start <= on]
    rows, fitness = [], []
    for name in closed:
        report = campaign_report(uow, name)
        rows += outcome_rows(report)
        fitness += [f"fitness_{c}" for c in report.fitness_codes if f"fitness_{c}" not in fitness]
    called = sum(int(r["called"]) for r in rows)
    inducted = sum(int(r["inducted"]) for r in rows)
    rows = [{**dict.fromkeys(fitness, 0), **r} for r in rows]  # a category one campaign's policy lacked counts 0 there
    induction_yield = calibrate_rows(fitness, rows, source="store").induction_yield if called else None
    return StoreFigures(on=on, term_months=strength.term_months, conscripts_by_month=strength.conscripts_by_month,
                        contract=strength.contract, conversions=strength.conversions, conscript_months=strength.conscript_months,
                        conversions_at_term_end=strength.conversions_at_term_end, reached_term_end=strength.reached_term_end,
                        closed_campaigns=[n for n in closed if any(r["campaign"] == n for r in rows)], called=called,
                        inducted=inducted, induction_yield=induction_yield)
