"""The monthly stock-and-flow (Markov) manpower model and its deterministic projection.

State at the end of month t:

* conscripts by month of service s = 0 .. T-1 (T = term_months), so a cohort inducted in month
  k is counted in months k .. k+T-1 and released in month k+T: a 12-month term is exact;
* one stock each for contract soldiers, officers, other recruits and the reserve.

One step (month t-1 -> t) applies each category's monthly outflow rates to the stock at t-1,
then adds the inflows of month t (campaign intakes, recruitment, conversions, transfers to the
reserve). Expected flows give the deterministic projection; binomial draws of the same flows
give the Monte Carlo runs (`montecarlo.py`), so both share this one engine.

Conservation, which the tests check for any rates: for every month,
``people(t) + exits(t) = people(t-1) + intake(t) + recruitment(t)``, where people counts every
category including the reserve and exits are those who leave the force and the reserve.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from callup.planning.scenario import Scenario

RECRUITED = ("contract", "officers", "other")
ACTIVE = ("conscripts", *RECRUITED)
CATEGORIES = (*ACTIVE, "reserve")
FLOWS = ("intake", "recruitment", "conversions", "released", "to_reserve", "losses", "exits")

def _active(stocks: dict[str, np.ndarray]) -> np.ndarray:
    """The active categories' stocks added up, in the order of `ACTIVE` (a new array)."""
    total = stocks[ACTIVE[0]] + 0
    for c in ACTIVE[1:]:
        total = total + stocks[c]
    return total


# A splitter turns a stock and a list of disjoint outflow probabilities into the outflows.
Splitter = Callable[[np.ndarray, Sequence[np.ndarray]], list[np.ndarray]]


def expected_split(stock: np.ndarray, probs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Deterministic flows: the expected number leaving by each route."""
    return [stock * p for p in probs]


def binomial_split(rng: np.random.Generator) -> Splitter:
    """Random flows: a multinomial draw over the routes, as successive conditional binomials."""

    def split(stock: np.ndarray, probs: Sequence[np.ndarray]) -> list[np.ndarray]:
        out = []
        remaining = stock
        left: float | np.ndarray = 1.0  # the probability not yet split off
        for p in probs:
            with np.errstate(divide="ignore", invalid="ignore"):
                q = np.clip(np.where(left > 0, p / left, 0.0), 0.0, 1.0)
            drawn = np.zeros(np.broadcast_shapes(np.shape(remaining), np.shape(q)), dtype=np.int64) if not np.any(q) else rng.binomial(remaining, q)
            out.append(drawn)
            remaining = remaining - drawn
            left = left - p
        return out

    return split


@dataclass(frozen=True)
class Occurrence:
    """One campaign in one year: its first intake month (1-based) and the months it feeds."""

    campaign: str
    index: int  # position of the campaign in the scenario
    label: str  # e.g. "spring 2026-04"
    months: tuple[int, ...]


def occurrences(scenario: Scenario, months: int) -> list[Occurrence]:
    """Every campaign occurrence whose first intake month falls in 1..months."""
    found = []
    for t in range(1, months + 1):
        for i, campaign in enumerate(scenario.campaigns):
            if scenario.calendar_month(t) == campaign.month:
                fed = tuple(m for m in range(t, t + campaign.spread_months) if m <= months)
                found.append(Occurrence(campaign.name, i, f"{campaign.name} {scenario.month_label(t)}", fed))
    return found


@dataclass(frozen=True)
class Schedule:
    """Explicit monthly inflows, index 0..months (index 0 is the starting state and stays zero)."""

    intake: np.ndarray
    recruitment: dict[str, np.ndarray]


def schedule(
    scenario: Scenario,
    months: int,
    *,
    occurrence_quotas: Sequence[float] | None = None,
    recruitment: dict[str, np.ndarray] | None = None,
) -> Schedule:
    """The scenario's inflows, optionally with other quotas (one per occurrence) or recruitment."""
    found = occurrences(scenario, months)
    if occurrence_quotas is None:
        occurrence_quotas = [scenario.campaigns[o.index].quota for o in found]
    intake = np.zeros(months + 1)
    for occ, quota in zip(found, occurrence_quotas, strict=True):
        per_month = quota / scenario.campaigns[occ.index].spread_months
        for m in occ.months:
            intake[m] += per_month
    rec = {}
    for name in RECRUITED:
        given = (recruitment or {}).get(name)
        if given is None:
            given = np.full(months + 1, getattr(scenario, name).recruitment_monthly)
            given[0] = 0.0
        rec[name] = np.asarray(given, dtype=float)
    return Schedule(intake, rec)


def parameters(scenario: Scenario, runs: int = 1) -> dict[str, np.ndarray]:
    """The scenario's rates as per-run arrays of shape (runs,), keyed `category.field`."""
    out = {}
    c = scenario.conscripts
    for key in ("attrition_monthly", "losses_monthly", "conversion_monthly", "conversion_at_term_end", "to_reserve"):
        out[f"conscripts.{key}"] = np.full(runs, getattr(c, key))
    for name in RECRUITED:
        cat = getattr(scenario, name)
        for key in ("attrition_monthly", "losses_monthly", "retirement_monthly", "to_reserve"):
            out[f"{name}.{key}"] = np.full(runs, getattr(cat, key))
    for key in ("attrition_monthly", "retirement_monthly"):
        out[f"reserve.{key}"] = np.full(runs, getattr(scenario.reserve, key))
    return out


@dataclass
class Trajectory:
    """Stocks and flows of `runs` runs over months 0..months; arrays have shape (runs, months+1)."""

    stocks: dict[str, np.ndarray]
    flows: dict[str, np.ndarray]
    by_service: np.ndarray | None = None  # (runs, months+1, term) when recorded

    @property
    def active(self) -> np.ndarray:
        return _active(self.stocks)

    @property
    def total(self) -> np.ndarray:
        total: np.ndarray = self.active + self.stocks["reserve"]
        return total


def simulate(
    scenario: Scenario,
    months: int,
    params: dict[str, np.ndarray],
    intake: np.ndarray,
    recruitment: dict[str, np.ndarray],
    split: Splitter,
    *,
    integer: bool = False,
    record_service: bool = False,
) -> Trajectory:
    """Run the model for `months` months.

    `params` holds per-run rates, shape (runs,); `intake` and each `recruitment[cat]` have shape
    (runs, months+1). With `integer`, stocks are whole people (for binomial splitters).
    """
    runs = intake.shape[0]
    dtype = np.int64 if integer else float
    term = scenario.conscripts.term_months
    start = np.asarray(scenario.conscripts.initial_by_service(), dtype=float)
    c = np.tile(np.rint(start) if integer else start, (runs, 1)).astype(dtype)
    stock = {name: np.full(runs, getattr(scenario, name).initial, dtype=float).astype(dtype) for name in (*RECRUITED, "reserve")}
    if integer:
        stock = {k: np.rint(np.full(runs, getattr(scenario, k).initial)).astype(np.int64) for k in stock}

    stocks = {name: np.zeros((runs, months + 1), dtype=dtype) for name in CATEGORIES}
    flows = {name: np.zeros((runs, months + 1), dtype=dtype) for name in FLOWS}
    service = np.zeros((runs, months + 1, term), dtype=dtype) if record_service else None

    def record(t: int) -> None:
        stocks["conscripts"][:, t] = c.sum(axis=1)
        for name, value in stock.items():
            stocks[name][:, t] = value
        if service is not None:
            service[:, t, :] = c

    record(0)
    p = {k: np.asarray(v) for k, v in params.items()}
    col = {k: v[:, None] for k, v in p.items() if k.startswith("conscripts.")}
    for t in range(1, months + 1):
        att, loss, conv = split(c, [col["conscripts.attrition_monthly"], col["conscripts.losses_monthly"], col["conscripts.conversion_monthly"]])
        survivors = c - att - loss - conv
        completing = survivors[:, -1]
        (signing,) = split(completing, [p["conscripts.conversion_at_term_end"]])
        released = completing - signing
        leaving = released + att.sum(axis=1)
        (to_res,) = split(leaving, [p["conscripts.to_reserve"]])
        lost = loss.sum(axis=1)
        exits = leaving - to_res + lost
        conversions = conv.sum(axis=1) + signing

        nxt = np.empty_like(c)
        nxt[:, 1:] = survivors[:, :-1]
        nxt[:, 0] = intake[:, t]
        c = nxt

        recruited = np.zeros(runs, dtype=dtype)
        for name in RECRUITED:
            s = stock[name]
            a, l_, r = split(s, [p[f"{name}.attrition_monthly"], p[f"{name}.losses_monthly"], p[f"{name}.retirement_monthly"]])
            (tr,) = split(a + r, [p[f"{name}.to_reserve"]])
            joiners = recruitment[name][:, t]
            stock[name] = s - a - l_ - r + joiners + (conversions if name == "contract" else 0)
            recruited = recruited + joiners
            to_res = to_res + tr
            exits = exits + a + r - tr + l_
            lost = lost + l_

        ra, rr = split(stock["reserve"], [p["reserve.attrition_monthly"], p["reserve.retirement_monthly"]])
        stock["reserve"] = stock["reserve"] - ra - rr + to_res
        exits = exits + ra + rr

        flows["intake"][:, t] = intake[:, t]
        flows["recruitment"][:, t] = recruited
        flows["conversions"][:, t] = conversions
        flows["released"][:, t] = released
        flows["to_reserve"][:, t] = to_res
        flows["losses"][:, t] = lost
        flows["exits"][:, t] = exits
        record(t)
    return Trajectory(stocks, flows, service)


@dataclass
class TargetCheck:
    """Whether one target is met: first month at or above it, and the gap at the deadline."""

    name: str
    target: float
    by_month: int
    met_month: int | None
    value_at_deadline: float
    shortfall_at_deadline: float
    final_value: float

    @property
    def met_by_deadline(self) -> bool:
        return self.met_month is not None and self.met_month <= self.by_month


def check_targets(scenario: Scenario, series: dict[str, np.ndarray]) -> list[TargetCheck]:
    """Compare 1-D monthly series ("total", "active") with the scenario's targets."""
    checks: list[TargetCheck] = []
    targets = scenario.targets
    if targets is None:
        return checks
    for name in ("total", "active"):
        goal = getattr(targets, name)
        if goal is None:
            continue
        values = series[name]
        months = len(values) - 1
        hits = np.nonzero(values[1:] >= goal * (1 - 1e-9) - 1e-6)[0]  # float noise of the solver's exact plans
        deadline = min(targets.by_month, months)
        at = float(values[deadline])
        checks.append(
            TargetCheck(
                name=name,
                target=goal,
                by_month=targets.by_month,
                met_month=int(hits[0]) + 1 if hits.size else None,
                value_at_deadline=at,
                shortfall_at_deadline=max(0.0, goal - at),
                final_value=float(values[-1]),
            )
        )
    return checks


@dataclass
class Projection:
    """A deterministic projection: expected stocks and flows, month by month."""

    scenario: Scenario
    months: int
    labels: list[str]
    stocks: dict[str, np.ndarray]  # (months+1,)
    flows: dict[str, np.ndarray]
    by_service: np.ndarray  # (months+1, term)
    checks: list[TargetCheck] = field(default_factory=list)

    @property
    def active(self) -> np.ndarray:
        return _active(self.stocks)

    @property
    def total(self) -> np.ndarray:
        total: np.ndarray = self.active + self.stocks["reserve"]
        return total


def project(scenario: Scenario, months: int | None = None, inflows: Schedule | None = None) -> Projection:
    """Expected stocks and flows under the scenario (or under explicit `inflows`)."""
    months = months or scenario.months
    inflows = inflows or schedule(scenario, months)
    traj = simulate(
        scenario,
        months,
        parameters(scenario),
        inflows.intake[None, :],
        {k: v[None, :] for k, v in inflows.recruitment.items()},
        expected_split,
        record_service=True,
    )
    stocks = {k: v[0] for k, v in traj.stocks.items()}
    flows = {k: v[0] for k, v in traj.flows.items()}
    labels = [scenario.month_label(t) for t in range(months + 1)]
    assert traj.by_service is not None, "record_service=True keeps the stocks by month of service"
    proj = Projection(scenario, months, labels, stocks, flows, traj.by_service[0])
    proj.checks = check_targets(scenario, {"total": proj.total, "active": proj.active})
    return proj
