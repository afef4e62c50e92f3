"""A projection that starts from the live store: the store's figures replace the scenario's where the store knows better.

Planning stays pure: a feature above it reads the store (`callup.reports.planning.store_figures`)
and hands down a `StoreFigures` of plain numbers; `apply_store` puts them into the scenario and
says, for every parameter it could take from either, where it came from. What the store knows:

* serving conscripts on the day, by whole months served (the scenario's `conscripts.initial`),
  and the term the policy sets (`conscripts.term_months`);
* serving contract soldiers on the day (`contract.initial`): those who signed after conscript
  service (contract soldiers recruited from outside are not in the store: the projection counts
  only those the store holds, and recruits further ones at the scenario's rate);
* the induction yield of its closed campaigns (every scenario campaign's `induction_yield`);
* the conversion rates it observed: conscripts who signed a contract per conscript-month served
  before the last month of the term (`conscripts.conversion_monthly`), and the share of those who
  reached the last month who signed in it (`conscripts.conversion_at_term_end`).

Everything else (officers, other recruits, the reserve, attrition, targets, the campaigns'
quotas and bounds) comes from the scenario file. The projection starts with the month after the
day (month 0 is the state on the day).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from callup.errors import InputError
from callup.planning.scenario import Scenario, parse_scenario

STORE, FILE = "store", "scenario file"


@dataclasses.dataclass(frozen=True)
class StoreFigures:
    """What the store says on `on`, as plain numbers (see the module's docstring)."""

    on: dt.date
    term_months: int  # the conscript term the policy in force on `on` sets
    conscripts_by_month: list[int]  # serving conscripts by whole months served: index 0 served less than one month
    contract: int  # serving contract soldiers (converted conscripts)
    conversions: int  # conscripts who signed a contract on or before `on`, before the last month of their term
    conscript_months: float  # months of conscript service on or before `on`, before the last month of each term
    closed_campaigns: list[str]  # the closed campaigns the yield is calibrated from
    called: int
    inducted: int
    induction_yield: float | None  # inducted per person called in the closed campaigns; None: no closed campaign called anyone
    conversions_at_term_end: int = 0  # contracts signed in the last month of the term, on or before `on`
    reached_term_end: int = 0  # conscripts still serving when the last month of their term began, on or before `on`

    @property
    def conversion_monthly(self) -> float | None:
        """Conscripts who signed per conscript-month served; None when no conscript has served yet."""
        return self.conversions / self.conscript_months if self.conscript_months > 0 else None

    @property
    def conversion_at_term_end(self) -> float | None:
        """Of the conscripts who reached the last month of their term, the share who signed in it; None: nobody has."""
        return self.conversions_at_term_end / self.reached_term_end if self.reached_term_end else None


def _month_after(day: dt.date) -> str:
    """The first projected month: the state on the 1st is the end of the month before, else the month after the day's."""
    if day.day == 1:
        return f"{day.year:04d}-{day.month:02d}"
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return f"{year:04d}-{month:02d}"


def apply_store(scenario: Scenario, figures: StoreFigures) -> tuple[Scenario, dict[str, str]]:
    """The scenario with the store's figures in place, and where each parameter it could take from either came from.

    Raises `InputError` when the result is not a valid scenario (e.g. the observed conversion rate
    and the scenario's attrition add up to more than one a month).
    """
    data = scenario.model_dump()
    sources: dict[str, str] = {}
    data["start"] = _month_after(figures.on)
    sources["start"] = f"{STORE} (the day {figures.on.isoformat()})"
    c = data["conscripts"]
    c["term_months"] = figures.term_months
    by_month = list(figures.conscripts_by_month)[:figures.term_months]
    c["initial"] = [float(n) for n in by_month + [0] * (figures.term_months - len(by_month))]
    sources["conscripts.term_months"] = f"{STORE} (the policy in force)"
    sources["conscripts.initial"] = STORE
    data["contract"]["initial"] = float(figures.contract)
    sources["contract.initial"] = f"{STORE} (conscripts who signed a contract; the store holds no other contract soldiers)"
    rate = figures.conversion_monthly
    if rate is not None:
        c["conversion_monthly"] = rate
        signed = f"{figures.conversions:,} contract{'' if figures.conversions == 1 else 's'} signed"
        sources["conscripts.conversion_monthly"] = f"{STORE} ({signed} in {figures.conscript_months:,.0f} conscript-months)"
    else:
        sources["conscripts.conversion_monthly"] = f"{FILE} (no conscript service in the store yet)"
    at_end = figures.conversion_at_term_end
    if at_end is not None:
        c["conversion_at_term_end"] = at_end
        sources["conscripts.conversion_at_term_end"] = (f"{STORE} ({figures.conversions_at_term_end:,} of "
                                                         f"{figures.reached_term_end:,} in the last month of their term)")
    else:
        sources["conscripts.conversion_at_term_end"] = f"{FILE} (no conscript has reached the last month of the term yet)"
    for i, campaign in enumerate(scenario.campaigns):
        key = f"campaigns[{campaign.name}].induction_yield"
        if figures.induction_yield is not None and figures.induction_yield > 0:
            data["campaigns"][i]["induction_yield"] = figures.induction_yield
            sources[key] = (f"{STORE} ({figures.inducted:,} inducted of {figures.called:,} called in "
                            f"{', '.join(figures.closed_campaigns)})")
        else:
            sources[key] = f"{FILE} (no closed campaign in the store inducted anyone)"
    for name in ("conscripts.attrition_monthly", "conscripts.losses_monthly",
                 "campaigns quotas and bounds", "officers", "other", "reserve", "targets", "uncertainty"):
        sources.setdefault(name, FILE)
    try:
        return parse_scenario(data, source=f"{scenario.name} with the store's figures of {figures.on.isoformat()}"), sources
    except InputError as exc:
        raise InputError(f"{exc} (from the store: {', '.join(k for k, v in sources.items() if v.startswith(STORE))})") from None
