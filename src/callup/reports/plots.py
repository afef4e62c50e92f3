"""The report's figures, drawn once from the report object and written two ways.

Each `*_figure` function takes a section of the report and returns a matplotlib `Figure` (the
object-oriented API, no global pyplot state). `svg` turns a figure into inline SVG for the
HTML (text as paths, so no font is fetched; no XML prologue or metadata; ids prefixed so
several figures share one page); `png` into a high-resolution image for the PDF.
"""

from __future__ import annotations

import io
import re

import matplotlib

matplotlib.use("Agg")

from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from callup.reports.model import (  # noqa: E402
    DeliverySection,
    FairnessSection,
    FunnelSection,
    PoolSection,
    ProjectionSection,
)

INK, GRID = "#1d2430", "#d9dde3"
BEFORE, AFTER = "#9fb3c8", "#1f3b73"
PROVED, DEEMED, UNDELIVERED = "#2f7d32", "#d9a400", "#b5442c"
TOTAL, ACTIVE = "#1f3b73", "#b5442c"
PNG_DPI = 200


def _people(value: float, _pos: object = None) -> str:
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:,.2f}M"
    if abs(value) >= 10_000:
        return f"{value / 1_000:,.0f}k"
    return f"{value:,.0f}"


def _figure(width: float, height: float) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(width, height), layout="constrained")
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(True, axis="y", color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    ax.tick_params(colors=INK, labelsize=9)
    return fig, ax


def _legend_above(ax: Axes) -> None:
    ax.legend(frameon=False, fontsize=9, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3)


def pool_age_figure(pool: PoolSection) -> Figure:
    """Grouped bars: people in the pool by age under each rule set."""
    fig, ax = _figure(8.5, 3.4)
    rules = pool.rules
    ages = sorted({a for r in rules for a in r.by_age})
    width = 0.8 / len(rules)
    for i, r in enumerate(rules):
        colour = AFTER if r is pool.in_force else BEFORE
        xs = [a - 0.4 + width * (i + 0.5) for a in ages]
        ax.bar(xs, [r.by_age.get(a, 0) for a in ages], width, color=colour,
               label=f"{r.version}: ages {r.from_age} to {r.until_age - 1} ({r.total:,} people)")
    ax.set_xticks(ages)
    ax.set_xlabel(f"Age on {pool.on.isoformat()}", color=INK)
    ax.set_ylabel("People in the pool", color=INK)
    ax.yaxis.set_major_formatter(FuncFormatter(_people))
    _legend_above(ax)
    return fig


def pool_region_figure(pool: PoolSection) -> Figure:
    """Bars per region: the pool under the rules in force, with the pool under the other rules inside."""
    regions = list(pool.in_force.by_region)
    fig, ax = _figure(8.5, 3.4)
    xs = range(len(regions))
    ax.bar(xs, [pool.in_force.by_region[r] for r in regions], 0.8, color=AFTER,
           label=f"{pool.in_force.version}: until age {pool.in_force.until_age}")
    if pool.compared is not None:
        ax.bar(xs, [pool.compared.by_region.get(r, 0) for r in regions], 0.45, color=BEFORE,
               label=f"{pool.compared.version}: until age {pool.compared.until_age}")
    ax.set_xticks(list(xs), regions, rotation=90, fontsize=6 if len(regions) > 40 else 8)
    ax.set_xlim(-0.7, len(regions) - 0.3)
    ax.set_ylabel("People in the pool", color=INK)
    ax.yaxis.set_major_formatter(FuncFormatter(_people))
    _legend_above(ax)
    return fig


def funnel_figure(funnel: FunnelSection) -> Figure:
    """Horizontal bars: the national path from called to inducted, each stage a part of the one before
    (a stage not recorded is marked so)."""
    from callup.reports.funnel import PATH

    stages = [s for s in PATH if s in funnel.stages]
    fig, ax = _figure(8.5, 0.4 * len(stages) + 0.9)
    ax.grid(True, axis="x", color=GRID, linewidth=0.8)
    ax.grid(False, axis="y")
    values = [funnel.total(s) for s in stages]
    top = max([v for v in values if v] or [1])
    for y, (_stage, value) in enumerate(zip(stages, values)):
        if value is None:
            ax.text(top * 0.01, y, "not recorded yet", va="center", fontsize=9, color="#666666", style="italic")
            continue
        ax.barh(y, value, 0.65, color=AFTER)
        ax.text(value + top * 0.01, y, f"{value:,}", va="center", fontsize=9, color=INK)
    ax.set_yticks(range(len(stages)), stages)
    ax.invert_yaxis()
    ax.set_xlim(0, top * 1.12)
    ax.xaxis.set_major_formatter(FuncFormatter(_people))
    ax.set_xlabel("People", color=INK)
    return fig


def delivery_figure(delivery: DeliverySection) -> Figure:
    """Stacked bars per region, as shares of its live summonses: delivery proved, deemed by the policy's rule, not delivered."""
    rows = delivery.regions
    fig, ax = _figure(8.5, 3.4)
    xs = list(range(len(rows)))
    share = {f: [getattr(r, f) / r.total if r.total else 0 for r in rows] for f in ("proved", "deemed", "undelivered")}
    ax.bar(xs, share["proved"], 0.8, color=PROVED, label=f"proved ({delivery.total('proved'):,})")
    ax.bar(xs, share["deemed"], 0.8, bottom=share["proved"], color=DEEMED, label=f"deemed ({delivery.total('deemed'):,})")
    ax.bar(xs, share["undelivered"], 0.8, bottom=[p + d for p, d in zip(share["proved"], share["deemed"])], color=UNDELIVERED,
           label=f"not delivered ({delivery.total('undelivered'):,})")
    ax.set_xticks(xs, [r.region for r in rows], rotation=90, fontsize=6 if len(rows) > 40 else 8)
    ax.set_xlim(-0.7, len(rows) - 0.3)
    ax.set_ylim(0, 1)
    ax.set_ylabel("Share of live summonses", color=INK)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:.0%}"))
    _legend_above(ax)
    return fig


def fairness_figure(fairness: FairnessSection) -> Figure:
    """Mean share of the region's pool ahead of a person, by birth month, with two standard errors; 0.5 if fair."""
    fig, ax = _figure(8.5, 3.2)
    months = [m["month"] for m in fairness.months]
    means = [m["mean"] for m in fairness.months]
    errors = [2 * m["sem"] if m["sem"] == m["sem"] else 0 for m in fairness.months]
    ax.axhline(0.5, color="#666666", linestyle="--", linewidth=1, label="expected under a fair draw (0.5)")
    ax.errorbar(months, means, yerr=errors, fmt="o-", color=AFTER, capsize=3, label="mean by birth month ± 2 s.e.")
    ax.set_xticks(range(1, 13), ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"])
    ax.set_ylim(0, 1)
    ax.set_ylabel("Share of the pool ahead", color=INK)
    ax.set_xlabel("Month of birth", color=INK)
    ax.legend(frameon=False, fontsize=9, loc="upper right")
    return fig


def projection_figure(projection: ProjectionSection) -> Figure:
    """Total and active strength by month against the targets, the deadline dotted."""
    fig, ax = _figure(8.5, 3.8)
    xs = [r["month"] for r in projection.series]
    colours = {"total": TOTAL, "active": ACTIVE}
    for name, colour in colours.items():
        ax.plot(xs, [r[name] for r in projection.series], color=colour, linewidth=2, label=f"{name} strength")
    for target in projection.targets:
        colour = colours.get(target["name"], INK)
        ax.axhline(target["target"], color=colour, linestyle="--", linewidth=1)
        verdict = f"met {target['met_label']}" if target["met_by_deadline"] else f"short by {_people(target['shortfall_at_deadline'])}"
        ax.annotate(f"{target['name']} target {_people(target['target'])}: {verdict}", xy=(0.01, target["target"]),
                    xycoords=("axes fraction", "data"), xytext=(0, 4), textcoords="offset points", fontsize=8, color=colour)
        if target["by_month"] <= projection.months:
            ax.axvline(target["by_month"], color="#666666", linestyle=":", linewidth=1)
    labels = {r["month"]: r["label"] for r in projection.series}
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=12))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: labels.get(int(v), "")))
    ax.yaxis.set_major_formatter(FuncFormatter(_people))
    low = min(min(r["active"] for r in projection.series), *(t["target"] for t in projection.targets)) if projection.targets else 0
    high = max(max(r["total"] for r in projection.series), *(t["target"] for t in projection.targets)) if projection.targets else 1
    ax.set_ylim(low * 0.85, high * 1.06)
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylabel("People", color=INK)
    ax.legend(frameon=False, fontsize=9, loc="center right")
    return fig


# --- writing -------------------------------------------------------------------------------------------

_DROP = re.compile(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<metadata>.*?</metadata>|\s+xmlns(:\w+)?=\"[^\"]*\"", re.S)


def svg(fig: Figure, prefix: str, label: str) -> str:
    """The figure as inline SVG for an HTML page: no prologue, metadata or namespace URLs; ids prefixed."""
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": prefix}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    text = _DROP.sub("", buf.getvalue())
    text = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', text)
    text = re.sub(r'(href=")#([^"]+)"', rf'\1#{prefix}-\2"', text)
    text = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", text)
    text = text.replace("xlink:href=", "href=")
    label = label.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return text.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1).strip()


def png(fig: Figure, dpi: int = PNG_DPI) -> bytes:
    """The figure as a PNG at `dpi` (for the PDF)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()
