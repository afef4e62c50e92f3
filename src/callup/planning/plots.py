"""Plots of a projection: total and active strength against the targets, and each category.

Top panel: total and active strength (lines; with Monte Carlo, the median with 5-95% and
25-75% bands), the targets as dashed horizontal lines, the deadline as a dotted vertical line
and the month each target is first met (or the shortfall at the deadline) annotated.
Bottom panel: each category. Written as PNG (for viewing) and SVG (for reports), with the
Agg backend so no display is needed.
"""

from __future__ import annotations

import pathlib

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from callup.planning.model import CATEGORIES, Projection  # noqa: E402
from callup.planning.montecarlo import MonteCarlo  # noqa: E402

COLOURS = {"total": "#1f3b73", "active": "#b5442c", "conscripts": "#4c9a2a", "contract": "#d08c00", "officers": "#7b4fa0",
           "other": "#2a8c9a", "reserve": "#7f7f7f"}
LABELS = {"conscripts": "Conscripts", "contract": "Contract soldiers", "officers": "Officers", "other": "Other recruits", "reserve": "Reserve"}


def _people(value: float, _pos: object = None) -> str:
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:,.2f}M"
    return f"{value:,.0f}"


def plot_projection(projection: Projection, out_dir: str | pathlib.Path, *, montecarlo: MonteCarlo | None = None,
                    stem: str | None = None, title: str | None = None) -> list[pathlib.Path]:
    """Draw the projection (and bands, if given) and return the written PNG and SVG paths."""
    scenario = projection.scenario
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = stem or f"{scenario.name}-projection"
    x = np.arange(projection.months + 1)

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 9), sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    title = title or f"{scenario.name}: projected strength, {projection.labels[1]} to {projection.labels[-1]}"
    if montecarlo is not None:
        title += f" ({montecarlo.runs:,} Monte Carlo runs)"
    fig.suptitle(title, fontsize=13)

    series = {"total": projection.total, "active": projection.active}
    for name, values in series.items():
        colour = COLOURS[name]
        if montecarlo is not None:
            p = dict(zip(montecarlo.percentiles, montecarlo.bands[name], strict=True))
            top.fill_between(x, p[5], p[95], color=colour, alpha=0.12, linewidth=0, label=f"{name.capitalize()}: 5-95% of runs")
            top.fill_between(x, p[25], p[75], color=colour, alpha=0.25, linewidth=0, label=f"{name.capitalize()}: 25-75% of runs")
            top.plot(x, p[50], color=colour, linewidth=1, linestyle=(0, (1, 1)), label=f"{name.capitalize()}: median of runs")
        top.plot(x, values, color=colour, linewidth=2.2, label=f"{name.capitalize()} (expected)")

    for check in projection.checks:
        colour = COLOURS[check.name]
        top.axhline(check.target, color=colour, linestyle="--", linewidth=1.2)
        m = check.met_month
        if m is not None and check.met_by_deadline:
            top.plot([m], [series[check.name][m]], marker="o", color=colour)
            note = f"{check.name} target {_people(check.target)} met {projection.labels[m]}"
        else:
            note = (f"{check.name} target {_people(check.target)}: short by {_people(check.shortfall_at_deadline)} "
                    f"at {projection.labels[min(check.by_month, projection.months)]}")
        if montecarlo is not None and check.name in montecarlo.probability:
            note += f" (P = {montecarlo.probability[check.name]:.0%})"
        top.annotate(note, xy=(0.01, check.target), xycoords=("axes fraction", "data"), xytext=(0, 4), textcoords="offset points", color=colour, fontsize=9)
    if scenario.targets is not None and scenario.targets.by_month <= projection.months:
        for ax in (top, bottom):
            ax.axvline(scenario.targets.by_month, color="black", linestyle=":", linewidth=1)
        top.annotate(f"deadline {projection.labels[scenario.targets.by_month]}", xy=(scenario.targets.by_month, 0.98), xycoords=("data", "axes fraction"),
                     xytext=(-4, 0), textcoords="offset points", ha="right", va="top", fontsize=8)

    top.set_ylabel("People")
    top.yaxis.set_major_formatter(FuncFormatter(_people))
    top.grid(True, alpha=0.3)
    low = min(float(np.min(v)) for v in series.values())
    high = max([float(np.max(v)) for v in series.values()] + [c.target for c in projection.checks])
    if montecarlo is not None:
        low = min(low, float(montecarlo.bands["active"][0].min()))
        high = max(high, float(montecarlo.bands["total"][-1].max()))
    span = high - low
    top.set_ylim(low - 0.35 * span, high + 0.08 * span)  # room for the legend below the curves
    top.legend(loc="lower center", fontsize=8, ncol=4 if montecarlo is not None else 2, framealpha=0.9)

    for name in CATEGORIES:
        colour = COLOURS[name]
        if montecarlo is not None:
            p = dict(zip(montecarlo.percentiles, montecarlo.bands[name], strict=True))
            bottom.fill_between(x, p[5], p[95], color=colour, alpha=0.15, linewidth=0)
        bottom.plot(x, projection.stocks[name], color=colour, linewidth=1.8, label=LABELS[name])
    bottom.set_ylabel("People")
    bottom.set_ylim(bottom=0)
    bottom.yaxis.set_major_formatter(FuncFormatter(_people))
    bottom.grid(True, alpha=0.3)
    bottom.legend(loc="upper left", fontsize=8, ncol=3)
    bottom.set_xlabel("Month")
    bottom.set_xlim(0, projection.months)
    bottom.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=13))
    bottom.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: projection.labels[int(v)] if 0 <= int(v) <= projection.months else ""))
    plt.setp(bottom.get_xticklabels(), rotation=45, ha="right")

    fig.tight_layout()
    paths = [out / f"{stem}.png", out / f"{stem}.svg"]
    fig.savefig(paths[0], dpi=110)
    fig.savefig(paths[1])
    plt.close(fig)
    return paths
