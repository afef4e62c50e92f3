"""`callup policy check|show`: validate a policy file and show the rules in force on a date."""

from __future__ import annotations

import pathlib
from typing import Annotated, Any

import typer
from rich.table import Table

from callup.cli_output import console, emit
from callup.cli_support import context, parse_date
from callup.policy.loader import load_policy

app = typer.Typer(help="Jurisdiction policy files: validate them, show the rules in force on a date.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


@app.command()
def check(file: Annotated[pathlib.Path, typer.Argument(help="Policy file (TOML).")], as_json: JsonOption = False) -> None:
    """Validate a policy file: every version, every key. Exits non-zero naming the first problem."""
    jurisdiction = load_policy(file)
    data = {
        "file": str(file), "valid": True, "jurisdiction": jurisdiction.code, "name": jurisdiction.name,
        "sha256": jurisdiction.sha256, "regions": len(jurisdiction.regions),
        "versions": [{"version": v.version, "effective_from": v.effective_from, "summary": v.summary} for v in jurisdiction.versions],
    }

    def render(d: dict[str, Any]) -> None:
        console.print(f"[green]valid[/]: {d['file']} — {d['name']} ({d['jurisdiction']}), {d['regions']} regions")
        for v in d["versions"]:
            console.print(f"  {v['version']:<10} from {v['effective_from']}  {v['summary']}")

    emit(data, as_json=as_json, render=render)


@app.command()
def show(
    file: Annotated[pathlib.Path, typer.Argument(help="Policy file (TOML).")],
    on: Annotated[str | None, typer.Option("--on", help="Date (YYYY-MM-DD); default today.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Show the complete rules in force on a date."""
    jurisdiction = load_policy(file)
    day = parse_date(on, option="--on") if on is not None else context(store=False, keys=False).today()
    version = jurisdiction.in_force(day)
    data = {"jurisdiction": jurisdiction.code, "on": day, **version.model_dump(mode="json")}

    def render(d: dict[str, Any]) -> None:
        c = version.conscription
        console.print(f"[bold]{jurisdiction.name}[/]: version {version.version} in force on {day} (from {version.effective_from})")
        if version.summary:
            console.print(f"  {version.summary}")
        table = Table(show_header=False, box=None)
        table.add_row("registration", f"{', '.join(version.registration.sexes)} citizens of {', '.join(version.registration.citizenships)} at {version.registration.age}"
                      + (" (in the year they turn it)" if version.registration.in_year_of_birthday else ""))
        table.add_row("liable", f"{', '.join(c.sexes)} from the {c.from_age}th to the {c.until_age}th birthday"
                      + ("; volunteers first" if c.volunteers_first else ""))
        table.add_row("campaigns", "; ".join(f"{w.name} {w.start}..{w.end}" for w in version.campaigns))
        table.add_row("service", f"{version.service.term_months} months (alternative {version.service.alternative_service_term_months})")
        table.add_row("fitness", ", ".join(f"{f.code}{'*' if f.inductable else ''}" for f in version.fitness_categories) + "  (* inductable)")
        table.add_row("deferrals", ", ".join(f"{g.code} ≤{g.max_months}m" for g in version.deferral_grounds) or "none")
        table.add_row("exemptions", ", ".join(g.code for g in version.exemption_grounds) or "none")
        table.add_row("deployment", "; ".join(f"{r.status}: not {', '.join(r.forbidden_zones)}" if r.forbidden_zones else f"{r.status}: any zone"
                                              for r in version.deployment) or "no limits")
        k = version.contract
        table.add_row("contract", "conscripts may not convert" if k is None else
                      f"after {k.min_months_served} months served, category {', '.join(k.fitness_categories)}, before the "
                      f"{k.until_age}th birthday; {k.term_months}-month first contract")
        table.add_row("notices", f"{', '.join(version.notices.channels)}; appear within {version.notices.response_days} days")
        table.add_row("retention", f"register {version.retention.register_years_after_liability}y after liability, "
                      f"medical {version.retention.medical_years}y, audit {version.retention.audit_years}y")
        console.print(table)

    emit(data, as_json=as_json, render=render)


@app.command()
def reference(
    out: Annotated[pathlib.Path | None, typer.Option("--out", help="Write the reference to this file instead of stdout.")] = None,
) -> None:
    """The policy file reference (every key, type, default, constraint) generated from the models, as Markdown."""
    from callup.policy.reference import policy_reference

    text = policy_reference()
    if out is None:
        typer.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {out}")
