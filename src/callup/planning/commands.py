"""`callup plan`: project the force, solve for quotas, Monte Carlo bands, calibrate yields.

Each command builds one plain, JSON-serialisable result and hands it to `emit`: with `--json`
stdout carries exactly that document; otherwise Rich tables. Plots go to `--out` (PNG and SVG).
"""

from __future__ import annotations

import datetime as dt
import pathlib
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from callup.cli_output import console, emit, err_console, progress
from callup.errors import InputError

app = typer.Typer(
    help="Force planning: project strength, solve for quotas, quantify uncertainty, calibrate yields.",
    no_args_is_help=True,
)

ScenarioArg = Annotated[pathlib.Path, typer.Argument(help="scenario TOML file (see examples/scenarios/)", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="print one JSON document on stdout")]
OutOpt = Annotated[pathlib.Path, typer.Option("--out", help="directory for the plots (PNG and SVG)")]
DEFAULT_OUT = pathlib.Path("out/plan")
FromStoreOpt = Annotated[bool, typer.Option("--from-store", help="start from the service records in the store on --on (stocks by "
                                            "category and months served), with the yield of its closed campaigns and the "
                                            "conversion rate observed in it; the rest from the scenario file")]
ScaleOpt = Annotated[float | None, typer.Option("--scale", help="multiply every count of people in the scenario (stocks, "
                                                "recruitment, quotas and their bounds, targets) by this: the same country at "
                                                "another size; rates are kept", show_default=False)]
OnOpt = Annotated[str | None, typer.Option("--on", help="with --from-store: the day of the store's figures (YYYY-MM-DD; default today)")]


#: Reads the live store's figures on a day (None: the context's today) for `--from-store`. Planning imports no
#: store, so the edge that serves these commands installs it (`callup.reports.plan_commands`, which `callup plan` loads).
STORE_READER: Callable[[dt.date | None], Any] | None = None


def _figures(from_store: bool, on: str | None) -> Any:
    """The store's figures when asked for (read by the installed reader: planning itself never touches the store)."""
    from callup.cli_support import date_option

    if not from_store:
        if on is not None:
            raise InputError("--on is the day of the store's figures: give it with --from-store", field="on")
        return None
    if STORE_READER is None:
        raise InputError("--from-store reads the store: run it as `callup plan ...`", field="from_store")
    return STORE_READER(date_option(on, "--on"))


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _project(scenario_path: pathlib.Path, months: int | None, runs: int, seed: int, out: pathlib.Path, plot: bool, as_json: bool,
             figures: Any = None, scale: float | None = None) -> None:
    import dataclasses

    from callup.planning.service import check_size, projection_report

    check_size(months, runs)
    with progress(f"Monte Carlo: {runs:,} runs", None, quiet=as_json or not runs):
        report = projection_report(scenario_path, months=months, runs=runs, seed=seed, out=out if plot else None, figures=figures,
                                   scale=scale)
    emit(dataclasses.asdict(report), as_json=as_json, render=_render_projection)


def _render_sources(sources: dict[str, str] | None) -> None:
    if not sources:
        return
    table = Table("Parameter", "Taken from", title="Where the parameters came from", box=box.SIMPLE_HEAD)
    from rich.markup import escape

    for name, source in sources.items():
        table.add_row(escape(name), escape(source))
    console.print(table)


def _render_projection(data: dict[str, Any]) -> None:
    _render_sources(data.get("sources"))
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
    from_store: FromStoreOpt = False,
    on: OnOpt = None,
    scale: ScaleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Project the force month by month under the scenario's intake and compare with the targets."""
    _project(scenario, months, runs, seed, out, plot, as_json, _figures(from_store, on), scale)


@app.command()
def montecarlo(
    scenario: ScenarioArg,
    *,
    runs: Annotated[int, typer.Option("--runs", help="number of runs")] = 10_000,
    months: Annotated[int | None, typer.Option("--months", help="months to project (default: the scenario's)")] = None,
    seed: Annotated[int, typer.Option("--seed", help="random seed")] = 0,
    out: OutOpt = DEFAULT_OUT,
    plot: Annotated[bool, typer.Option("--plot/--no-plot", help="write the plot")] = True,
    from_store: FromStoreOpt = False,
    on: OnOpt = None,
    scale: ScaleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Monte Carlo over the scenario's uncertain rates and intakes: bands and probability of meeting targets."""
    if runs < 1:
        raise InputError(f"must be at least 1, got {runs}", field="runs")
    _project(scenario, months, runs, seed, out, plot, as_json, _figures(from_store, on), scale)


@app.command()
def solve(
    scenario: ScenarioArg,
    *,
    lever: Annotated[list[str] | None, typer.Option("--lever", help="what may change: conscripts and/or contract (repeat; default: the scenario's [solver] levers)")] = None,
    per_occurrence: Annotated[bool | None, typer.Option("--per-occurrence/--per-campaign", help="one quota per campaign and year, or one per campaign", show_default=False)] = None,
    outcomes: Annotated[pathlib.Path | None, typer.Option("--outcomes", help="campaign outcomes CSV: take the induction yield from it (see `plan calibrate`)")] = None,
    out: OutOpt = DEFAULT_OUT,
    plot: Annotated[bool, typer.Option("--plot/--no-plot", help="write the plot of the plan")] = True,
    from_store: FromStoreOpt = False,
    on: OnOpt = None,
    scale: ScaleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Find the smallest quotas (and/or contract recruitment) that meet the targets by the date."""
    import dataclasses

    from callup.planning.service import solve_report

    report = solve_report(scenario, levers=lever, per_occurrence=per_occurrence, outcomes=outcomes, out=out if plot else None,
                          figures=_figures(from_store, on), scale=scale)
    emit(dataclasses.asdict(report), as_json=as_json, render=_render_solution)


def _render_solution(data: dict[str, Any]) -> None:
    _render_sources(data.get("sources"))
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
    import dataclasses

    from callup.planning.service import calibration_report

    emit(dataclasses.asdict(calibration_report(outcomes, inducted=inducted)), as_json=as_json, render=_render_calibration)


def _render_calibration(data: dict[str, Any]) -> None:
    measures = list(data["yields"])
    regions = data["by_region"]
    table = Table(title=f"Yields per person called ({data['rows']} rows, {data['called']:,} called)", box=box.SIMPLE_HEAD)
    for col in ("Outcome", "All", "Lowest region", "Highest region"):
        table.add_column(col, justify="left" if col == "Outcome" else "right")
    for m in measures:
        by = {r: y[m] for r, y in regions.items()}
        low, high = min(by, key=lambda r: by[r]), max(by, key=lambda r: by[r])
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
