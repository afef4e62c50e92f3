"""The smallest campaign quotas (and/or contract recruitment) that meet the targets by the date.

Why a linear program: every flow in the model is a rate times a stock, so the strength at the
deadline is an affine function of the intakes, ``s = base + A x``, with A >= 0 (one more
inductee never lowers any stock). The columns of A are read off the model itself, one
projection per lever (all run at once, as rows of one vectorised simulation), and HiGHS
(`scipy.optimize.linprog`) finds

    minimise   sum_j cost_j x_j        (people called, plus weighted contract recruits)
    subject to base_k + (A x)_k >= target_k          for k in {total, active}
               floor_j <= x_j <= bound_j             (policy floor and limit, eligible pool and
                                                      office capacity times the induction yield)

Because A >= 0, the most any plan can reach is at the upper bounds, so when the program is
infeasible the shortfall reported (target minus strength at the bounds) is exact.
Contract: `solve` returns a `Solution` and never prints; bad requests raise `InputError`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from callup.errors import InputError
from callup.planning.lp import LinearProgram
from callup.planning.model import RECRUITED, Projection, Schedule, expected_split, occurrences, parameters, project, simulate
from callup.planning.scenario import Campaign, Scenario

TOLERANCE = 1e-6


@dataclass
class Lever:
    """One decision variable: a campaign quota (per campaign or per occurrence) or a month's recruitment."""

    kind: str  # "quota" or "contract"
    label: str
    campaign: str | None
    occurrences: list[int]  # indices into occurrences() driven by this quota
    month: int | None  # for contract recruitment
    floor: float
    bound: float
    bound_reason: str
    cost: float
    called_per_unit: float  # people called per unit of the lever over the horizon
    value: float = 0.0


@dataclass
class Solution:
    feasible: bool
    status: str
    message: str
    deadline: int
    deadline_label: str
    levers: list[Lever]
    targets: dict[str, float]
    reached: dict[str, float]  # strength at the deadline under the plan (or at the bounds if infeasible)
    shortfall: dict[str, float]  # zero when feasible
    people_called: float
    contract_recruits: float
    projection: Projection
    notes: list[str] = field(default_factory=list)


def with_yields(scenario: Scenario, yields: float | dict[str, float]) -> Scenario:
    """The scenario with other induction yields (one for all campaigns, or by campaign name)."""
    campaigns = []
    for c in scenario.campaigns:
        y = yields if isinstance(yields, float) else yields.get(c.name, c.induction_yield)
        if not 0 < y <= 1:
            raise InputError(f"induction yield for campaign {c.name}: must be in (0, 1], got {y:g}")
        campaigns.append(c.model_copy(update={"induction_yield": y}))
    return scenario.model_copy(update={"campaigns": campaigns})


def _bound(campaign: Campaign) -> tuple[float, str]:
    options = [(math.inf, "unbounded")]
    if campaign.max_quota is not None:
        options.append((campaign.max_quota, "policy limit (max_quota)"))
    if campaign.eligible_pool is not None:
        options.append((campaign.eligible_pool * campaign.induction_yield, "eligible pool x induction yield"))
    if campaign.office_capacity is not None:
        options.append((campaign.office_capacity * campaign.induction_yield, "office capacity x induction yield"))
    return min(options, key=lambda o: o[0])


def _levers(scenario: Scenario, months: int, levers: list[str], per_occurrence: bool) -> list[Lever]:
    found = occurrences(scenario, months)
    out: list[Lever] = []
    if "conscripts" in levers:
        groups: dict[str, list[int]] = {}
        for j, occ in enumerate(found):
            key = occ.label if per_occurrence else occ.campaign
            groups.setdefault(key, []).append(j)
        for key, members in groups.items():
            campaign = scenario.campaigns[found[members[0]].index]
            bound, reason = _bound(campaign)
            called = len(members) / campaign.induction_yield
            out.append(Lever("quota", key, campaign.name, members, None, campaign.min_quota, bound, reason, called, called))
    if "contract" in levers:
        cap = scenario.contract.max_recruitment_monthly
        for t in range(1, months + 1):
            out.append(
                Lever(
                    "contract", f"contract {scenario.month_label(t)}", None, [], t, 0.0,
                    math.inf if cap is None else cap, "unbounded" if cap is None else "max_recruitment_monthly",
                    scenario.solver.contract_weight, 0.0,
                )
            )
    return out


def _schedules(scenario: Scenario, months: int, levers: list[Lever], values: np.ndarray) -> Schedule:
    """Inflows with each lever at `values` (levers not chosen keep the scenario's figures)."""
    found = occurrences(scenario, months)
    quotas = [scenario.campaigns[o.index].quota for o in found]
    contract = np.full(months + 1, scenario.contract.recruitment_monthly)
    contract[0] = 0.0
    if any(lv.kind == "contract" for lv in levers):
        contract[:] = 0.0
    for lv, x in zip(levers, values, strict=True):
        if lv.kind == "quota":
            for j in lv.occurrences:
                quotas[j] = x
        else:
            contract[lv.month] = x
    intake = np.zeros(months + 1)
    for occ, quota in zip(found, quotas, strict=True):
        spread = scenario.campaigns[occ.index].spread_months
        for m in occ.months:
            intake[m] += quota / spread
    rec = {}
    for name in RECRUITED:
        if name == "contract":
            rec[name] = contract
        else:
            r = np.full(months + 1, getattr(scenario, name).recruitment_monthly)
            r[0] = 0.0
            rec[name] = r
    return Schedule(intake, rec)


def response(scenario: Scenario, months: int, levers: list[Lever]) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Strength at `months` with every lever at zero, and its gain per unit of each lever."""
    n = len(levers)
    plans = [_schedules(scenario, months, levers, np.zeros(n))]
    for j in range(n):
        unit = np.zeros(n)
        unit[j] = 1.0
        plans.append(_schedules(scenario, months, levers, unit))
    intake = np.stack([p.intake for p in plans])
    rec = {name: np.stack([p.recruitment[name] for p in plans]) for name in RECRUITED}
    traj = simulate(scenario, months, parameters(scenario, n + 1), intake, rec, expected_split)
    series = {"total": traj.total[:, months], "active": traj.active[:, months]}
    base = {k: float(v[0]) for k, v in series.items()}
    gain = {k: np.maximum(v[1:] - v[0], 0.0) for k, v in series.items()}  # clip float noise; A >= 0
    return base, gain


def solve(
    scenario: Scenario,
    *,
    levers: list[str] | None = None,
    per_occurrence: bool | None = None,
    yields: float | dict[str, float] | None = None,
) -> Solution:
    """Find the cheapest plan meeting the scenario's targets at `targets.by_month`."""
    wanted = scenario.targets  # (with other yields, the same targets)
    if wanted is None or (wanted.total is None and wanted.active is None):
        raise InputError("scenario has no [targets] (total and/or active, by_month): nothing to solve for")
    if yields is not None:
        scenario = with_yields(scenario, yields)
    levers = list(levers or scenario.solver.levers)
    per_occurrence = scenario.solver.per_campaign_occurrence if per_occurrence is None else per_occurrence
    months = wanted.by_month
    plan = _levers(scenario, months, levers, per_occurrence)
    if not plan:
        raise InputError(f"no levers to solve for: levers {levers} give no campaign in the first {months} months and no contract months")
    base, gain = response(scenario, months, plan)
    targets = {k: getattr(scenario.targets, k) for k in ("total", "active") if getattr(scenario.targets, k) is not None}

    lp = LinearProgram()
    for lv in plan:
        lp.var(lv.label, lb=lv.floor, ub=lv.bound, cost=lv.cost)
    for k, goal in targets.items():
        lp.add({j: float(a) for j, a in enumerate(gain[k]) if a > 0}, ">=", goal - base[k])
    result = lp.solve()

    notes: list[str] = []
    if result.status == "optimal":
        exact = np.array([result.values[lv.label] for lv in plan])
        bounds = np.array([lv.bound for lv in plan])
        values = np.minimum(np.ceil(exact - 1e-6), bounds)  # whole people; A >= 0 keeps the targets met
        values = np.maximum(values, exact)
        feasible = True
    else:
        values = np.array([lv.bound for lv in plan])
        feasible = False
        if np.isinf(values).any():  # cannot happen with A >= 0 unless the gain is zero; report, never crash
            notes.append("some levers are unbounded but do not move the targets")
            values = np.where(np.isinf(values), 0.0, values)
    reached = {k: base[k] + float(gain[k] @ values) for k in targets}
    shortfall = {k: max(0.0, targets[k] - reached[k]) if not feasible else 0.0 for k in targets}
    for lv, x in zip(plan, values, strict=True):
        lv.value = float(x)
    inflows = _schedules(scenario, months, plan, values)
    projection = project(scenario, months, inflows)
    called = sum(lv.value * lv.called_per_unit for lv in plan if lv.kind == "quota")
    recruits = sum(lv.value for lv in plan if lv.kind == "contract")
    return Solution(
        feasible=feasible,
        status=result.status,
        message=result.message,
        deadline=months,
        deadline_label=scenario.month_label(months),
        levers=plan,
        targets=targets,
        reached=reached,
        shortfall=shortfall,
        people_called=called,
        contract_recruits=recruits,
        projection=projection,
        notes=notes,
    )


def binding(lever: Lever) -> str | None:
    """Which bound holds the lever, if any."""
    if math.isfinite(lever.bound) and lever.value >= lever.bound - TOLERANCE * max(1.0, lever.bound):
        return lever.bound_reason
    if lever.floor > 0 and lever.value <= lever.floor + TOLERANCE * max(1.0, lever.floor):
        return "policy floor (min_quota)" if lever.kind == "quota" else "floor"
    return None
