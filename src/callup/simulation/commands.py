"""`callup simulate responses CAMPAIGN`: drive a drawn campaign with simulated responses (rehearsal stores only)."""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Annotated, Any

import typer

from callup.cli_output import console, emit, progress
from callup.cli_support import JsonOption, context

app = typer.Typer(help="Simulations for demos, rehearsals and tests.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Simulations for demos, rehearsals and tests."""


@app.command()
def responses(
    campaign: Annotated[str, typer.Argument(help="A drawn campaign.")],
    seed: Annotated[int, typer.Option("--seed", help="Seed of the simulation's randomness.", min=0)] = 0,
    rates: Annotated[pathlib.Path | None, typer.Option("--rates", help="TOML file of rates (default: built-in).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Simulate delivery, appearance, applications, the medical board, appeals and induction for every called person."""
    from callup.simulation.responses import load_rates, simulate

    with progress("simulating responses (people through a phase)", None, quiet=as_json) as advance:
        result = dataclasses.asdict(simulate(context(), campaign, seed=seed, rates=load_rates(rates), advance=advance))

    def render(r: dict[str, Any]) -> None:
        if r["already_done"]:
            console.print(f"{r['campaign']}: simulated by an earlier run (seed {r['seed']}); nothing changed")
        else:
            console.print(f"{r['campaign']}: {r['people']:,} people in {r['rounds']} round(s), seed {r['seed']}; steps taken "
                          "(a person may take a step more than once, e.g. examined again after an appeal; the campaign "
                          "report counts people, each in one outcome):")
        for step, n in r["steps"].items():
            console.print(f"  {step:>26}: {n:,}")

    emit(result, as_json=as_json, render=render)


@app.command()
def questionnaire(
    round_name: Annotated[str, typer.Argument(metavar="ROUND", help="A sent questionnaire round (e.g. born-2008).")],
    seed: Annotated[int, typer.Option("--seed", help="Seed of the simulation's randomness.", min=0)] = 0,
    rate: Annotated[float, typer.Option("--rate", help="Share of those not yet answered who answer.", min=0, max=1)] = 0.97,
    as_json: JsonOption = False,
) -> None:
    """Simulate the cohort's answers to a self-declaration round (most on the portal, some on paper)."""
    from callup.simulation.questionnaire import simulate_answers

    result = dataclasses.asdict(simulate_answers(context(), round_name, seed=seed, rate=rate))
    emit(result, as_json=as_json, render=lambda r: console.print(
        f"{r['round']}: {r['answered']:,} of the {r['waiting']:,} who had not answered now have (seed {r['seed']})"))
