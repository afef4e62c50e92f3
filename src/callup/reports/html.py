"""The HTML renderer: one self-contained file (styles inline, figures as inline SVG, no scripts, no external requests)."""

from __future__ import annotations

import datetime as dt
import functools
import math
import pathlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from markupsafe import Markup

from callup.reports import plots


@functools.cache
def environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(loader=PackageLoader("callup.reports", "templates"), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(num=number, pct=percent, when=when, p=p_value, code=inline_code)
    return env


def inline_code(text: str) -> Any:
    """Text whose `backticked` parts (commands, in the verifier's wording) are shown as code, escaped."""
    import re

    from markupsafe import Markup, escape

    return Markup(re.sub(r"`([^`]+)`", r'<span class="code">\1</span>', str(escape(text))))


def number(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and not value.is_integer() and abs(value) < 100:
        return f"{value:,.1f}"
    return f"{round(value):,}"


def percent(value: float | None, digits: int = 1) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{100 * value:.{digits}f}%"


def p_value(value: float) -> str:
    return f"{value:.3f}" if value >= 0.001 else f"{value:.1e}"


def when(value: dt.datetime | dt.date) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def style() -> str:
    from importlib.resources import files

    return files("callup.reports").joinpath("templates/style.css").read_text(encoding="utf-8")


def campaign_figures(report: Any) -> dict[str, Markup]:
    """Every figure of the campaign report as inline SVG, by name."""
    from markupsafe import Markup

    made: dict[str, Markup] = {}
    for name, build, section, label in figure_list(report):
        fig = build(section)
        made[name] = Markup(plots.svg(fig, name, label))
    return made


def figure_list(report: Any) -> list[tuple[str, Any, Any, str]]:
    """(name, plot function, section, accessible label) of each figure the report has data for."""
    out: list[tuple[str, Any, Any, str]] = [("pool-age", plots.pool_age_figure, report.pool, "The pool by age under each rule set"),
           ("pool-region", plots.pool_region_figure, report.pool, "The pool by region under each rule set")]
    if report.funnel is not None:
        out.append(("funnel", plots.funnel_figure, report.funnel, "The funnel from called to inducted"))
    if report.fairness is not None:
        out.append(("fairness", plots.fairness_figure, report.fairness, "Mean share of the pool ahead by birth month"))
    if report.delivery is not None and report.delivery.regions:
        out.append(("delivery", plots.delivery_figure, report.delivery, "Delivery evidence by region"))
    if report.projection is not None:
        out.append(("projection", plots.projection_figure, report.projection, "Projected strength against the targets"))
    return out


def render_campaign(report: Any) -> str:
    return environment().get_template("campaign.html").render(r=report, figures=campaign_figures(report), style=style())


def write_campaign(report: Any, path: pathlib.Path) -> pathlib.Path:
    path.write_text(render_campaign(report), encoding="utf-8")
    return path


def render_transparency(report: Any) -> str:
    return environment().get_template("transparency.html").render(r=report, style=style())


def write_transparency(report: Any, path: pathlib.Path) -> pathlib.Path:
    path.write_text(render_transparency(report), encoding="utf-8")
    return path
