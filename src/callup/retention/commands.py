"""`callup retention apply`: erase personal data past its retention period (or, with --dry-run, count it)."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

import typer

from callup.cli_output import console, emit
from callup.cli_support import JsonOption, PolicyOption, context, parse_date

app = typer.Typer(help="Retention of personal data: erase what the policy no longer allows to keep.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Retention of personal data: erase what the policy no longer allows to keep."""


@app.command()
def apply(
    on: Annotated[str, typer.Option("--on", help="The date the retention periods are counted to (YYYY-MM-DD).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count what would be erased; change nothing.")] = False,
    policy: PolicyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Erase, in audited batches, the personal data past its retention period on a date (idempotent)."""
    from callup.retention.service import apply_retention

    day = parse_date(on, option="--on")
    report = dataclasses.asdict(apply_retention(context(policy=policy), day, dry_run=dry_run))

    def render(d: dict[str, Any]) -> None:
        verb = "would erase" if d["dry_run"] else "erased"
        console.print(f"retention on {d['on']} (policy {d['policy_version']}): {verb}"
                      + ("" if d["dry_run"] else f" in {d['batches']} batch(es)"))
        for c in d["categories"]:
            console.print(f"  {c['name']:<9} {c['due'] if d['dry_run'] else c['erased']:>10,}  {c['rule']}")

    emit(report, as_json=as_json, render=render)
