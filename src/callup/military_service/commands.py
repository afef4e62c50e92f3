"""`callup service ...`: units, induction, transfers through the deployment guardrail, conversion to contract service, discharge,
the guardrail report."""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Annotated, Any

import typer

from callup.cases.commands import CampaignArg, PersonArg
from callup.cli_output import console, emit, when
from callup.cli_support import JsonOption, date_option, transaction

app = typer.Typer(help="Service: units, induction, transfers, conversion to contract, discharge, the deployment guardrail report.",
                  no_args_is_help=True)

RecordArg = Annotated[int, typer.Argument(help="Service record number.", min=1)]
SecondOfficer = Annotated[str | None, typer.Option("--second-officer", help="Override: the second officer who approved it "
                                                   "(service approve-override), by name.")]
OverrideReason = Annotated[str | None, typer.Option("--override-reason", help="Override: why the forbidden zone is needed.")]


def render_record(r: dict[str, Any]) -> None:
    console.print(f"service record {r['id']} of {r['national_id']} ({r['campaign']}, {r['region']}): {r['service_status']}, "
                  f"[bold]{r['state']}[/], unit {r['unit']}, {r['start']} to {r['planned_end']} ({r['term_months']} months)"
                  + (f", continuing conscript record {r['converted_from']}" if r.get("converted_from") else "")
                  + (f"; ended {r['ended_on']}: {r['end_reason']}" if r["ended_on"] else ""))


def _assigned(result: Any, as_json: bool) -> None:
    """Emit an assignment, or, after its unit of work committed the record of the attempt, report the refusal."""
    from callup.military_service.guardrail import DeploymentRefused

    if result.refused is not None:
        v = result.refused
        raise DeploymentRefused(f"{v.unit}: {v.problem} (attempt {v.attempt} recorded)", field="unit")

    def render(r: dict[str, Any]) -> None:
        render_record(r["record"])
        if r["overridden"]:
            console.print("[red]assigned by override, recorded with the second officer[/]")

    emit(dataclasses.asdict(result), as_json=as_json, render=render)


@app.command("units")
def units_(file: Annotated[pathlib.Path, typer.Argument(help="Units CSV: code,name,zone.")], as_json: JsonOption = False) -> None:
    """Import the units file (again to update names and zones)."""
    from callup.military_service.units import import_units

    with transaction() as uow:
        result = dataclasses.asdict(import_units(uow, file))
    emit(result, as_json=as_json, render=lambda r: console.print(
        f"{r['file']}: {r['added']:,} units added, {r['changed']:,} changed, {r['unchanged']:,} unchanged"))


@app.command()
def induct(
    campaign: CampaignArg,
    national_id: PersonArg,
    unit_code: Annotated[str, typer.Option("--unit", help="Unit code from the units file.")],
    start: Annotated[str, typer.Option("--start", help="First day of service (YYYY-MM-DD).")],
    second_officer: SecondOfficer = None,
    override_reason: OverrideReason = None,
    as_json: JsonOption = False,
) -> None:
    """Induct a called person found fit as a conscript; planned end = start + the policy's term."""
    from callup.military_service.induction import induct as run

    with transaction() as uow:
        result = run(uow, campaign, national_id, unit=unit_code, start=date_option(start, "--start"),
                     second_officer=second_officer, override_reason=override_reason)
    _assigned(result, as_json)


@app.command()
def transfer(
    record: RecordArg,
    unit_code: Annotated[str, typer.Option("--unit", help="Unit code from the units file.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the transfer.")],
    second_officer: SecondOfficer = None,
    override_reason: OverrideReason = None,
    as_json: JsonOption = False,
) -> None:
    """Transfer a serving person to another unit (refused into a zone the policy forbids for their status)."""
    from callup.military_service.induction import transfer as run

    with transaction() as uow:
        result = run(uow, record, unit=unit_code, reason=reason, second_officer=second_officer, override_reason=override_reason)
    _assigned(result, as_json)


@app.command("discharge-due")
def discharge_due(on: Annotated[str, typer.Option("--on", help="Date (YYYY-MM-DD).")], as_json: JsonOption = False) -> None:
    """Discharge into the reserve everyone whose term ends by DATE, and complete civilian assignments (idempotent)."""
    from callup.cases.civilian import complete_due
    from callup.military_service.induction import discharge_due as run

    day = date_option(on, "--on")
    with transaction() as uow:
        result = {"on": day, "discharged": run(uow, day), "civilian_completed": complete_due(uow, day)}
    emit(result, as_json=as_json, render=lambda r: console.print(
        f"{len(r['discharged']):,} discharged at the end of term, {len(r['civilian_completed']):,} civilian assignments completed"))


@app.command()
def discharge(
    record: RecordArg,
    on: Annotated[str, typer.Option("--on", help="Date of the discharge (YYYY-MM-DD).")],
    reason: Annotated[str, typer.Option("--reason", help="Why the early discharge.")],
    as_json: JsonOption = False,
) -> None:
    """Discharge a serving person before the end of the term, with a reason."""
    from callup.military_service.induction import discharge_early

    with transaction() as uow:
        result = dataclasses.asdict(discharge_early(uow, record, on=date_option(on, "--on"), reason=reason))
    emit(result, as_json=as_json, render=render_record)


@app.command()
def convert(
    record: RecordArg,
    on: Annotated[str | None, typer.Option("--on", help="Day the contract was signed (YYYY-MM-DD); default today.")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="The contract's reference or a note, kept with the record.")] = None,
    as_json: JsonOption = False,
) -> None:
    """A serving conscript signs a contract: the conscript record ends that day and a contract record opens the same day.

    Refused, naming each condition not met, unless the policy's contract conditions (months served,
    fitness category, age) hold on that day.
    """
    from callup.military_service.guardrail import DeploymentRefused
    from callup.military_service.induction import convert as run

    with transaction() as uow:
        result = run(uow, record, on=date_option(on, "--on"), reason=reason)
    if result.refused is not None:
        v = result.refused
        raise DeploymentRefused(f"{v.unit}: {v.problem}: transfer the conscript first (attempt {v.attempt} recorded)", field="unit")

    def render(r: dict[str, Any]) -> None:
        render_record(r["conscript"])
        render_record(r["contract"])
        for condition in r["conditions"]:
            console.print(f"  met: {condition}")

    emit(dataclasses.asdict(result), as_json=as_json, render=render)


@app.command()
def show(record: RecordArg, as_json: JsonOption = False) -> None:
    """One service record."""
    from callup.military_service.induction import service_record

    with transaction(write=False) as uow:
        result = dataclasses.asdict(service_record(uow, record))
    emit(result, as_json=as_json, render=render_record)


@app.command("guardrail-report")
def guardrail_report(
    since: Annotated[str | None, typer.Option("--since", help="Only attempts from this date (YYYY-MM-DD).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Every assignment refused by the deployment guardrail and every override attempt, with who and why."""
    from callup.military_service.guardrail import read_report

    with transaction() as uow:  # writes: the report names people, and each one listed is recorded as read
        rows = [dataclasses.asdict(a) for a in read_report(uow, since=date_option(since, "--since"))]

    def render(items: list[dict[str, Any]]) -> None:
        from rich.table import Table

        table = Table("at", "actor", "region", "action", "status", "unit", "zone", "outcome", "second officer", "problem",
                      title=f"{len(items):,} guardrail attempts")
        for a in items:
            table.add_row(when(a["at"]), f"{a['actor']} ({a['role']})", a["region"], a["action"], a["status"], a["unit"], a["zone"],
                          a["outcome"], a["second_officer"] or "", a["problem"])
        console.print(table)

    emit(rows, as_json=as_json, render=render)


@app.command("approve-override")
def approve_override(
    campaign: CampaignArg,
    national_id: PersonArg,
    unit_code: Annotated[str, typer.Option("--unit", help="Unit code from the units file.")],
    reason: Annotated[str, typer.Option("--reason", help="Why you approve the override.")],
    as_json: JsonOption = False,
) -> None:
    """As the second officer, approve one override of the guardrail for this person and unit (where the policy allows one)."""
    from callup.military_service.guardrail import APPROVAL_DAYS, approve_override as run

    with transaction() as uow:
        result = dataclasses.asdict(run(uow, campaign, national_id, unit=unit_code, reason=reason))
    emit(result, as_json=as_json, render=lambda r: console.print(
        f"approval {r['attempt']} recorded: one override into {r['unit']} ({r['zone']} zone) naming you, within {APPROVAL_DAYS} days"))
