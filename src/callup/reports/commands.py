"""`callup report ...`: the campaign report (HTML and PDF) and the transparency report for publication."""

from __future__ import annotations

import pathlib
from typing import Annotated

import typer

from callup.cli_output import console, emit
from callup.cli_support import JsonOption, PolicyOption, context

app = typer.Typer(help="Reports: a campaign's report (HTML and PDF), the transparency report for publication.",
                  no_args_is_help=True)

NameArg = Annotated[str, typer.Argument(help="The campaign's name.")]
OutOption = Annotated[pathlib.Path, typer.Option("--out", help="Directory to write the report to (created if missing).")]


@app.callback()
def _group() -> None:
    """Reports: a campaign's report (HTML and PDF), the transparency report for publication."""


def _render(files: dict[str, str]) -> None:
    for kind, path in files.items():
        console.print(f"{kind:>14}: {path}")


@app.command()
def campaign(
    name: NameArg,
    out: OutOption = pathlib.Path("report"),
    scenario: Annotated[pathlib.Path | None, typer.Option("--scenario", help="Force-planning scenario projected against "
                                                          "the targets; default: the bundled seed scenario.")] = None,
    policy: PolicyOption = None,
    as_json: JsonOption = False,
) -> None:
    """The campaign's report as one self-contained HTML file and the same as PDF, with the public record it verifies.

    Pool before and after the age change, allocation, the draw record and its verification,
    the funnel from called to inducted, fairness tests, delivery evidence, the deployment
    guardrail, open cases and the force projection against the targets.
    """
    from callup.reports.service import write_campaign_report

    written = write_campaign_report(context(policy=policy), name, out, scenario=scenario)
    emit(written.files, as_json=as_json, render=_render)


@app.command()
def transparency(name: NameArg, out: OutOption = pathlib.Path("transparency"), policy: PolicyOption = None,
                 as_json: JsonOption = False) -> None:
    """The campaign's transparency report for publication: aggregate figures only, small counts suppressed.

    Counts under the policy's publication.disclosure_threshold (default 5) show as "<5", and
    others are withheld ("x") so that none can be worked out from the totals. HTML, PDF, JSON
    and one CSV per table.
    """
    from callup.reports.service import write_transparency_report

    written = write_transparency_report(context(policy=policy), name, out)
    emit(written.files, as_json=as_json, render=_render)
