"""`callup plan`: project the force, solve for quotas, Monte Carlo bands, calibrate yields.

Each command builds one plain, JSON-serialisable result and hands it to `emit`: with `--json`
stdout carries exactly that document; otherwise Rich tables. Plots go to `--out` (PNG and SVG).
"""

from __future__ import annotations

import math
import pathlib
import time
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from callup.errors import InputError
from callup.output import console, emit, err_console, progress

app = typer.Typer(
    help="Force planning: project strength, solve for quotas, quantify uncertainty, calibrate yields.",
    no_args_is_help=True,
)

ScenarioArg = Annotated[pathlib.Path, typer.Argument(help="scenario TOML file (see examples/scenarios/)", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="print one JSON document on stdout")]
OutOpt = Annotated[pathlib.Path, typer.Option("--out", help="directory for the plots (PNG and SVG)")]
DEFAULT_OUT = pathlib.Path("out/plan")


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _targets(projection) -> list[dict[str, Any]]:
    out = []
    for c in projection.checks:
        out.append(
            {
                "name": c.name,
                "target": c.target,
                "by_month": c.by_month,
                "deadline": projection.scenario.month_label(c.by_month),
                "met_month": c.met_month,
                "met_label": projection.labels[c.met_month] if c.met_month is not None else None,
                "met_by_deadline": c.met_by_deadline,
                "value_at_deadline": round(c.value_at_deadline, 1),
                "shortfall_at_deadline": round(c.shortfall_at_deadline, 1),
                "final_value": round(c.final_value, 1),
            }
        )
    return out


def _project(scenario_path: pathlib.Path, months: int | None, runs: int, seed: int, out: pathlib.Path, plot: bool, as_json: bool) -> None:
    from callup.planning import montecarlo
    from callup.planning.model import CATEGORIES, project
    from callup.planning.plots import plot_projection
    from callup.planning.scenario import load_scenario

    if months is not None and months < 1:
        raise InputError(f"--months: must be at least 1, got {months}")
    if runs < 0:
        raise InputError(f"--runs: must not be negative, got {runs}")
    scenario = load_scenario(scenario_path)
    months = months or scenario.months
    projection = project(scenario, months)
    mc = None
    seconds = None
    if runs:
        with progress(f"Monte Carlo: {runs:,} runs of {months} months", None, quiet=as_json):
            began = time.perf_counter()
            mc = montecarlo.run(scenario, months, runs, seed)
            seconds = time.perf_counter() - began
    plots = [str(p) for p in plot_projection(projection, out, montecarlo=mc)] if plot else []

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
    data = {
        "scenario": scenario.name,
        "source": str(scenario_path),
        "months": months,
        "table": table,
        "targets": _targets(projection),
        "montecarlo": None
        if mc is None
        else {"runs": mc.runs, "seed": mc.seed, "seconds": round(seconds, 3), "percentiles": list(mc.percentiles), "probability": mc.probability},
        "plots": plots,
    }
    emit(data, as_json=as_json, render=_render_projection)


def _render_projection(data: dict[str, Any]) -> None:
    mc = data["montecarlo"]
    table = Table(title=f"{data['scenario']}: projected strength by month", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("Month")
    for name in ("Conscripts", "Contract", "Officers", "Other", "Reserve", "Active", "Total"):
        table.add_column(name, justify="right")
    if mc:
        table.add_column("Active 5-95%", justify="right")
        table.add_column("Total 5-95%", justify="right")
    for row in data["table"]:
        cells = [row["label"], *(_fmt(row[k]) for k in ("conscripts", "contract", "officers", "other", "reserve", "active", "total"))]
        if mc:
            cells += [f"{_fmt(row['active_p5'])}-{_fmt(row['active_p95'])}", f"{_fmt(row['total_p5'])}-{_fmt(row['total_p95'])}"]
        table.add_row(*cells)
    console.print(table)
    for t in data["targets"]:
        if t["met_by_deadline"]:
            line = f"[green]{t['name']} target {_fmt(t['target'])}: met in {t['met_label']}[/] (deadline {t['deadline']})"
        else:
            line = f"[red]{t['name']} target {_fmt(t['target'])}: short by {_fmt(t['shortfall_at_deadline'])} at {t['deadline']}[/]"
            if t["met_month"] is not None:
                line += f" (met later, in {t['met_label']})"
        if mc and t["name"] in mc["probability"]:
            line += f"; probability of meeting it: {mc['probability'][t['name']]:.1%}"
        console.print(line)
    if mc:
        console.print(f"Monte Carlo: {mc['runs']:,} runs (seed {mc['seed']}) in {mc['seconds']:.2f} s; all targets met in {mc['probability'].get('all', float('nan')):.1%} of runs")
    for p in data["plots"]:
        console.print(f"plot: {p}")


@app.command()
def project(
    scenario: ScenarioArg,
    *,
    months: Annotated[int | None, typer.Option("--months", help="months to project (default: the scenario's)")] = None,
    runs: Annotated[int, typer.Option("--runs", help="Monte Carlo runs for bands and probabilities (0: none)")] = 0,
    seed: Annotated[int, typer.Option("--seed", help="random seed for the Monte Carlo runs")] = 0,
    out: OutOpt = DEFAULT_OUT,
    plot: Annotated[bool, typer.Option("--plot/--no-plot", help="write the plot")] = True,
    as_json: JsonOpt = False,
) -> None:
    """Project the force month by month under the scenario's intake and compare with the targets."""
    _project(scenario, months, runs, seed, out, plot, as_json)


@app.command()
def montecarlo(
    scenario: ScenarioArg,
    *,
    runs: Annotated[int, typer.Option("--runs", help="number of runs")] = 10_000,
    months: Annotated[int | None, typer.Option("--months", help="months to project (default: the scenario's)")] = None,
    seed: Annotated[int, typer.Option("--seed", help="random seed")] = 0,
    out: OutOpt = DEFAULT_OUT,
    plot: Annotated[bool, typer.Option("--plot/--no-plot", help="write the plot")] = True,
    as_json: JsonOpt = False,
) -> None:
    """Monte Carlo over the scenario's uncertain rates and intakes: bands and probability of meeting targets."""
    if runs < 1:
        raise InputError(f"--runs: must be at least 1, got {runs}")
    _project(scenario, months, runs, seed, out, plot, as_json)


@app.command()
def solve(
    scenario: ScenarioArg,
    *,
    lever: Annotated[list[str] | None, typer.Option("--lever", help="what may change: conscripts and/or contract (repeat; default: the scenario's [solver] levers)")] = None,
    per_occurrence: Annotated[bool | None, typer.Option("--per-occurrence/--per-campaign", help="one quota per campaign and year, or one per campaign", show_default=False)] = None,
    outcomes: Annotated[pathlib.Path | None, typer.Option("--outcomes", help="campaign outcomes CSV: take the induction yield from it (see `plan calibrate`)")] = None,
    out: OutOpt = DEFAULT_OUT,
    plot: Annotated[bool, typer.Option("--plot/--no-plot", help="write the plot of the plan")] = True,
    as_json: JsonOpt = False,
) -> None:
    """Find the smallest quotas (and/or contract recruitment) that meet the targets by the date."""
    from callup.planning.calibration import calibrate
    from callup.planning.plots import plot_projection
    from callup.planning.scenario import load_scenario
    from callup.planning.solver import binding
    from callup.planning.solver import solve as run_solve

    for name in lever or []:
        if name not in ("conscripts", "contract"):
            raise InputError(f"--lever: must be conscripts or contract, got {name!r}")
    loaded = load_scenario(scenario)
    yields = None
    if outcomes is not None:
        cal = calibrate(outcomes)
        if cal.induction_yield <= 0:
            raise InputError(f"{outcomes}: nobody was inducted, so no induction yield can be derived")
        yields = float(cal.induction_yield)
    solution = run_solve(loaded, levers=lever, per_occurrence=per_occurrence, yields=yields)
    plots = [str(p) for p in plot_projection(solution.projection, out, stem=f"{loaded.name}-plan", title=f"{loaded.name}: strength under the solved plan ({'meets' if solution.feasible else 'cannot meet'} the targets)")] if plot else []
    levers = []
    for lv in solution.levers:
        campaign = next((c for c in loaded.campaigns if c.name == lv.campaign), None)
        y = yields if yields is not None else (campaign.induction_yield if campaign else None)
        levers.append(
            {
                "kind": lv.kind,
                "label": lv.label,
                "campaign": lv.campaign,
                "value": round(lv.value, 3),
                "called": None if lv.kind != "quota" else math.ceil(lv.value / y - 1e-9),
                "induction_yield": y if lv.kind == "quota" else None,
                "campaigns_in_horizon": len(lv.occurrences) if lv.kind == "quota" else None,
                "floor": lv.floor,
                "bound": None if math.isinf(lv.bound) else lv.bound,
                "bound_reason": lv.bound_reason,
                "binding": binding(lv),
            }
        )
    data = {
        "scenario": loaded.name,
        "source": str(scenario),
        "feasible": solution.feasible,
        "status": solution.status,
        "deadline": solution.deadline_label,
        "by_month": solution.deadline,
        "induction_yield_from": str(outcomes) if outcomes is not None else "scenario",
        "levers": levers,
        "people_called": math.ceil(solution.people_called - 1e-6),
        "contract_recruits": round(solution.contract_recruits, 1),
        "targets": solution.targets,
        "reached": {k: round(v, 1) for k, v in solution.reached.items()},
        "shortfall": {k: round(v, 1) for k, v in solution.shortfall.items()},
        "notes": solution.notes,
        "plots": plots,
    }
    emit(data, as_json=as_json, render=_render_solution)


def _render_solution(data: dict[str, Any]) -> None:
    quotas = [lv for lv in data["levers"] if lv["kind"] == "quota"]
    contract = [lv for lv in data["levers"] if lv["kind"] == "contract"]
    head = "Smallest plan meeting the targets" if data["feasible"] else "No plan within the bounds meets the targets; the most the bounds allow"
    if quotas:
        table = Table(title=f"{data['scenario']}: {head} by {data['deadline']}", box=box.SIMPLE_HEAD)
        for col in ("Campaign", "Inducted per campaign", "Called per campaign", "Yield", "Bound", "Held by"):
            table.add_column(col, justify="left" if col in ("Campaign", "Held by") else "right")
        for lv in quotas:
            table.add_row(lv["label"], _fmt(lv["value"]), _fmt(lv["called"]), f"{lv['induction_yield']:.3f}", _fmt(lv["bound"]), lv["binding"] or "")
        console.print(table)
    if contract:
        table = Table(title="Contract recruitment per month")
        for col in ("Month", "Recruits", "Bound", "Held by"):
            table.add_column(col, justify="left" if col in ("Month", "Held by") else "right")
        for lv in contract:
            table.add_row(lv["label"].removeprefix("contract "), _fmt(lv["value"]), _fmt(lv["bound"]), lv["binding"] or "")
        console.print(table)
    for name, goal in data["targets"].items():
        reached = data["reached"][name]
        if data["feasible"]:
            console.print(f"[green]{name}: {_fmt(reached)} at {data['deadline']} (target {_fmt(goal)})[/]")
        else:
            console.print(f"[red]{name}: at most {_fmt(reached)} at {data['deadline']}, short of {_fmt(goal)} by {_fmt(data['shortfall'][name])}[/]")
    console.print(f"People called over the horizon: {_fmt(data['people_called'])}; contract recruits: {_fmt(data['contract_recruits'])} (yield from {data['induction_yield_from']})")
    for note in data["notes"]:
        err_console.print(f"note: {note}")
    for p in data["plots"]:
        console.print(f"plot: {p}")


@app.command()
def calibrate(
    outcomes: Annotated[pathlib.Path, typer.Argument(help="campaign outcomes CSV (format: docs/planning.md)", show_default=False)],
    *,
    inducted: Annotated[int | None, typer.Option("--inducted", help="also say how many must be called to induct this many")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Derive yields per person called (delivered, appeared, fitness, deferred, ..., inducted) from campaign outcomes."""
    from callup.planning.calibration import calibrate as run_calibrate
    from callup.planning.calibration import calls_needed

    if inducted is not None and inducted < 0:
        raise InputError(f"--inducted: must not be negative, got {inducted}")
    cal = run_calibrate(outcomes)
    data: dict[str, Any] = {
        "source": cal.source,
        "rows": cal.rows,
        "called": cal.called,
        "yields": {k: round(v, 6) for k, v in cal.overall.items()},
        "induction_yield": round(cal.induction_yield, 6),
        "induction_yield_95": [round(cal.induction_interval[0], 6), round(cal.induction_interval[1], 6)],
        "called_per_inductee": round(cal.called_per_inductee, 6) if cal.induction_yield > 0 else None,
        "by_region": {r: {k: round(v, 6) for k, v in y.items()} for r, y in cal.by_region.items()},
        "by_campaign": {c: {k: round(v, 6) for k, v in y.items()} for c, y in cal.by_campaign.items()},
        "calls_needed": None,
    }
    if inducted is not None:
        if cal.induction_yield <= 0:
            raise InputError(f"{outcomes}: nobody was inducted, so no number of calls can induct {inducted}")
        data["calls_needed"] = {"inducted": inducted, "called": calls_needed(inducted, cal.induction_yield)}
    emit(data, as_json=as_json, render=_render_calibration)


def _render_calibration(data: dict[str, Any]) -> None:
    measures = list(data["yields"])
    regions = data["by_region"]
    table = Table(title=f"Yields per person called ({data['rows']} rows, {data['called']:,} called)", box=box.SIMPLE_HEAD)
    for col in ("Outcome", "All", "Lowest region", "Highest region"):
        table.add_column(col, justify="left" if col == "Outcome" else "right")
    for m in measures:
        by = {r: y[m] for r, y in regions.items()}
        low, high = min(by, key=by.get), max(by, key=by.get)
        table.add_row(m, f"{data['yields'][m]:.2%}", f"{by[low]:.2%} ({low})", f"{by[high]:.2%} ({high})")
    console.print(table)
    key = [m for m in ("delivered", "appeared", "deferred", "exempted", "inducted") if m in measures]
    detail = Table(title="By campaign and region", box=box.SIMPLE_HEAD)
    detail.add_column("Campaign / region")
    for m in key:
        detail.add_column(m, justify="right")
    for kind in ("by_campaign", "by_region"):
        for name, y in data[kind].items():
            detail.add_row(name, *(f"{y[m]:.1%}" for m in key))
    console.print(detail)
    low, high = data["induction_yield_95"]
    console.print(f"Induction yield {data['induction_yield']:.2%} (95% interval {low:.2%}-{high:.2%}): call {data['called_per_inductee']:.3f} people per inductee")
    if data["calls_needed"]:
        need = data["calls_needed"]
        console.print(f"To induct {need['inducted']:,}: call {need['called']:,}")
