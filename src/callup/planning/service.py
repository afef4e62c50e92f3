"""Planning use cases behind `callup plan` and the API: projection report, solved plan, calibration.

Each returns a typed report whose parts are plain JSON values (tables as lists of rows), so the
command line, the web and reports render the same thing. Sizes are bounded here, with the reason,
so no caller can ask for more than the machine can do.
"""

from __future__ import annotations

import dataclasses
import math
import pathlib
import time
from typing import TYPE_CHECKING, Any

from callup.errors import InputError

if TYPE_CHECKING:
    from callup.planning.model import Projection
    from callup.planning.scenario import Scenario
    from callup.planning.store import StoreFigures

MAX_MONTHS = 600  # the scenario's own cap: 50 years
MAX_CELLS = 50_000_000  # Monte Carlo runs x months held in memory (8 bytes each per band source: ~2-3 GB at the cap)


@dataclasses.dataclass(frozen=True)
class ProjectionReport:
    scenario: str
    source: str
    months: int
    table: list[dict[str, Any]]
    targets: list[dict[str, Any]]
    montecarlo: dict[str, Any] | None
    plots: list[str]
    sources: dict[str, str] | None = None  # with the store's figures: where each parameter came from (store or scenario file)


@dataclasses.dataclass(frozen=True)
class SolveReport:
    scenario: str
    source: str
    feasible: bool
    status: str
    deadline: str
    by_month: int
    induction_yield_from: str
    levers: list[dict[str, Any]]
    people_called: int
    contract_recruits: float
    targets: dict[str, float]
    reached: dict[str, float]
    shortfall: dict[str, float]
    notes: list[str]
    plots: list[str]
    sources: dict[str, str] | None = None  # with the store's figures: where each parameter came from (store or scenario file)


@dataclasses.dataclass(frozen=True)
class CalibrationReport:
    source: str
    rows: int
    called: int
    yields: dict[str, float]
    induction_yield: float
    induction_yield_95: list[float]
    called_per_inductee: float | None
    by_region: dict[str, dict[str, float]]
    by_campaign: dict[str, dict[str, float]]
    calls_needed: dict[str, int] | None


def _targets(projection: Projection) -> list[dict[str, Any]]:
    return [{
        "name": c.name, "target": c.target, "by_month": c.by_month, "deadline": projection.scenario.month_label(c.by_month),
        "met_month": c.met_month, "met_label": projection.labels[c.met_month] if c.met_month is not None else None,
        "met_by_deadline": c.met_by_deadline, "value_at_deadline": round(c.value_at_deadline, 1),
        "shortfall_at_deadline": round(c.shortfall_at_deadline, 1), "final_value": round(c.final_value, 1),
    } for c in projection.checks]


def check_size(months: int | None, runs: int) -> None:
    """Refuse sizes the machine cannot hold, naming the option and the limit."""
    if months is not None and not 1 <= months <= MAX_MONTHS:
        raise InputError(f"must be between 1 and {MAX_MONTHS} (50 years), got {months}", field="months")
    if runs < 0:
        raise InputError(f"must not be negative, got {runs}", field="runs")
    if runs * (months or 36) > MAX_CELLS:
        raise InputError(f"{runs:,} runs of {months or 36} months would hold {runs * (months or 36):,} monthly values in "
                         f"memory, more than the {MAX_CELLS:,} this machine is sized for: use fewer runs", field="runs")


def _load(scenario_path: pathlib.Path, figures: StoreFigures | None, scale: float | None = None,
          ) -> tuple[Scenario, dict[str, str] | None]:
    """The scenario file (its counts times `scale`), with the store's figures put in when given (and where each
    parameter came from)."""
    from callup.planning.scenario import load_scenario, scaled
    from callup.planning.store import apply_store

    scenario = load_scenario(scenario_path)
    if scale is not None:
        scenario = scaled(scenario, scale)
    scenario, sources = (scenario, None) if figures is None else apply_store(scenario, figures)
    if scale is not None:  # say so: the file's counts are not the file's figures any more
        sources = {**(sources or {}), "scale": f"every count of people in the scenario file times {scale:g}"}
    return scenario, sources


def projection_report(scenario_path: pathlib.Path, *, months: int | None = None, runs: int = 0, seed: int = 0,
                      out: pathlib.Path | None = None, figures: StoreFigures | None = None,
                      scale: float | None = None) -> ProjectionReport:
    """Project the scenario month by month (and, with `runs`, Monte Carlo bands); plots to `out` when given.

    With `figures` (the live store's, read above planning) the projection starts from them (`planning.store`).
    """
    from callup.planning import montecarlo
    from callup.planning.model import CATEGORIES, project
    from callup.planning.plots import plot_projection

    check_size(months, runs)
    scenario, sources = _load(scenario_path, figures, scale)
    months = months or scenario.months
    check_size(months, runs)
    projection = project(scenario, months)
    mc, seconds = None, None
    if runs:
        began = time.perf_counter()
        mc = montecarlo.run(scenario, months, runs, seed)
        seconds = time.perf_counter() - began
    plots = [str(p) for p in plot_projection(projection, out, montecarlo=mc)] if out is not None else []
    table = []
    for t in range(months + 1):
        row: dict[str, Any] = {"month": t, "label": projection.labels[t]}
        row.update({c: round(float(projection.stocks[c][t]), 1) for c in CATEGORIES})
        row["active"] = round(float(projection.active[t]), 1)
        row["total"] = round(float(projection.total[t]), 1)
        if mc is not None:
            for name in ("active", "total"):
                for p, band in zip(mc.percentiles, mc.bands[name], strict=True):
                    row[f"{name}_p{p}"] = round(float(band[t]), 1)
        table.append(row)
    summary = None if mc is None or seconds is None else {"runs": mc.runs, "seed": mc.seed, "seconds": round(seconds, 3),
                                       "percentiles": list(mc.percentiles), "probability": mc.probability}
    return ProjectionReport(scenario.name, str(scenario_path), months, table, _targets(projection), summary, plots, sources)


def solve_report(scenario_path: pathlib.Path, *, levers: list[str] | None = None, per_occurrence: bool | None = None,
                 outcomes: pathlib.Path | None = None, out: pathlib.Path | None = None,
                 figures: StoreFigures | None = None, scale: float | None = None) -> SolveReport:
    """The smallest quotas (and/or contract recruitment) meeting the targets, with what binds each lever.

    With `figures` (the live store's) the plan starts from them; `outcomes` then may not be given too.
    """
    from callup.planning.calibration import calibrate
    from callup.planning.plots import plot_projection
    from callup.planning.solver import binding, solve

    for name in levers or []:
        if name not in ("conscripts", "contract"):
            raise InputError(f"must be conscripts or contract, got {name!r}", field="lever")
    if figures is not None and outcomes is not None:
        raise InputError("give either --outcomes or --from-store (which calibrates from the store's closed campaigns), not both",
                         field="outcomes")
    loaded, sources = _load(scenario_path, figures, scale)
    yields = None
    if outcomes is not None:
        cal = calibrate(outcomes)
        if cal.induction_yield <= 0:
            raise InputError(f"{outcomes}: nobody was inducted, so no induction yield can be derived", field="outcomes")
        yields = float(cal.induction_yield)
    solution = solve(loaded, levers=levers, per_occurrence=per_occurrence, yields=yields)
    title = f"{loaded.name}: strength under the solved plan ({'meets' if solution.feasible else 'cannot meet'} the targets)"
    plots = [str(p) for p in plot_projection(solution.projection, out, stem=f"{loaded.name}-plan", title=title)] if out else []
    rows = []
    for lv in solution.levers:
        campaign = next((c for c in loaded.campaigns if c.name == lv.campaign), None)
        y = yields if yields is not None else (campaign.induction_yield if campaign else None)
        rows.append({
            "kind": lv.kind, "label": lv.label, "campaign": lv.campaign, "value": round(lv.value, 3),
            "called": None if lv.kind != "quota" or y is None else math.ceil(lv.value / y - 1e-9),
            "induction_yield": y if lv.kind == "quota" else None,
            "campaigns_in_horizon": len(lv.occurrences) if lv.kind == "quota" else None,
            "floor": lv.floor, "bound": None if math.isinf(lv.bound) else lv.bound, "bound_reason": lv.bound_reason,
            "binding": binding(lv),
        })
    return SolveReport(
        scenario=loaded.name, source=str(scenario_path), feasible=solution.feasible, status=solution.status,
        deadline=solution.deadline_label, by_month=solution.deadline,
        induction_yield_from=str(outcomes) if outcomes is not None else "store" if figures is not None and any(
            k.endswith("induction_yield") and v.startswith("store") for k, v in (sources or {}).items()) else "scenario",
        levers=rows,
        people_called=math.ceil(solution.people_called - 1e-6), contract_recruits=round(solution.contract_recruits, 1),
        targets=solution.targets, reached={k: round(v, 1) for k, v in solution.reached.items()},
        shortfall={k: round(v, 1) for k, v in solution.shortfall.items()}, notes=list(solution.notes), plots=plots, sources=sources)


def calibration_report(outcomes: pathlib.Path, *, inducted: int | None = None) -> CalibrationReport:
    """Yields per person called from campaign outcomes; with `inducted`, how many to call to induct that many."""
    from callup.planning.calibration import calibrate, calls_needed

    if inducted is not None and inducted < 0:
        raise InputError(f"must not be negative, got {inducted}", field="inducted")
    cal = calibrate(outcomes)
    needed = None
    if inducted is not None:
        if cal.induction_yield <= 0:
            raise InputError(f"{outcomes}: nobody was inducted, so no number of calls can induct {inducted}", field="inducted")
        needed = {"inducted": inducted, "called": calls_needed(inducted, cal.induction_yield)}
    return CalibrationReport(
        source=cal.source, rows=cal.rows, called=cal.called, yields={k: round(v, 6) for k, v in cal.overall.items()},
        induction_yield=round(cal.induction_yield, 6),
        induction_yield_95=[round(cal.induction_interval[0], 6), round(cal.induction_interval[1], 6)],
        called_per_inductee=round(cal.called_per_inductee, 6) if cal.induction_yield > 0 else None,
        by_region={r: {k: round(v, 6) for k, v in y.items()} for r, y in cal.by_region.items()},
        by_campaign={c: {k: round(v, 6) for k, v in y.items()} for c, y in cal.by_campaign.items()},
        calls_needed=needed)
