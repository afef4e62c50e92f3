"""`callup notices ...`: issue summonses, print letters, publish on the portal, record delivery and appearance."""

from __future__ import annotations

import dataclasses
import datetime as dt
import pathlib
from typing import Annotated, Any

import typer

from callup.cli_output import console, emit, progress, when
from callup.cli_support import JsonOption, context, parse_date

app = typer.Typer(help="Summonses: issue, print, publish, delivery evidence, appearance.", no_args_is_help=True)

CampaignArg = Annotated[str, typer.Argument(help="Campaign name, e.g. spring-2027.")]
ReferenceArg = Annotated[str, typer.Argument(help="Summons reference as printed, e.g. K7QM-2XBD-9RTF-H4WC-7PQ3.")]


def _unit(write: bool = True):  # noqa: ANN202
    from callup.uow import UnitOfWork

    return UnitOfWork(context(), write=write)


@app.command()
def issue(
    campaign: CampaignArg,
    offices: Annotated[pathlib.Path | None, typer.Option("--offices", help="Offices CSV (the first time; default the bundled example; later issues use the recorded one).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Issue a summons with an appointment to every called person who has none (after the draw, and after replacements)."""
    from callup.examples import path as example
    from callup.notices.service import issue_summonses

    with progress("issuing summonses", None, quiet=as_json), _unit() as uow:
        result = dataclasses.asdict(issue_summonses(uow, campaign, offices_path=offices,
                                                    default_offices=example("offices/republic-of-example.csv")))

    def render(r: dict[str, Any]) -> None:
        console.print(f"{r['campaign']}: {r['issued']:,} summonses issued ({r['already_live']:,} already had one)")
        for region, n in r["unplaced"].items():
            console.print(f"  [red]{region}: {n:,} people could not be given an appointment (offices full)[/]")

    emit(result, as_json=as_json, render=render)


@app.command("print")
def print_(
    campaign: CampaignArg,
    region: Annotated[str | None, typer.Option("--region", help="Only this region's letters.")] = None,
    out: Annotated[pathlib.Path, typer.Option("--out", help="Directory for the PDF batches and mailing manifests.")] = pathlib.Path("letters"),
    workers: Annotated[int, typer.Option("--workers", help="Processes printing batches at once.")] = 1,
    portal_url: Annotated[str, typer.Option("--portal-url", help="Address of the portal the QR code opens.")] = "https://portal.example",
    queue: Annotated[bool, typer.Option("--queue", help="PostgreSQL: queue one job per batch for `callup worker` processes instead of printing here.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Render the letters to PDF: batches of at most 1,000 letters of one region in postcode order, each with a manifest."""
    from callup.notices.printing import print_letters

    if queue:
        from callup.jobs.queue import queue_letters

        result = dataclasses.asdict(queue_letters(context(), campaign, out=out, region=region, portal_url=portal_url))
    else:
        with progress("printing letters", None, quiet=as_json):
            result = dataclasses.asdict(print_letters(context(), campaign, out=out, region=region, workers=workers,
                                                      portal_url=portal_url))

    def render(r: dict[str, Any]) -> None:
        if queue:
            console.print(f"{r['queued']:,} print job(s) queued; `callup worker` processes print them into {r['directory']}/")
        else:
            console.print(f"{r['letters']:,} letters in {r['batches_printed']:,} batch(es) written to {r['directory']}/")

    emit(result, as_json=as_json, render=render)


@app.command()
def publish(campaign: CampaignArg, as_json: JsonOption = False) -> None:
    """Publish every live summons of the campaign on the portal."""
    from callup.notices.service import publish_notices

    with _unit() as uow:
        n = publish_notices(uow, campaign)
    emit({"campaign": campaign, "published": n}, as_json=as_json,
         render=lambda d: console.print(f"{d['published']:,} notices published on the portal"))


def _postal(kind: str, file: pathlib.Path, rejects: pathlib.Path | None, as_json: bool) -> None:
    from callup.notices.service import import_postal_file

    with _unit() as uow:
        result = dataclasses.asdict(import_postal_file(uow, file, kind=kind, rejects_path=rejects))

    def render(r: dict[str, Any]) -> None:
        if r["already_imported"]:
            console.print(f"{r['file']}: already imported; nothing changed")
            return
        console.print(f"{r['file']}: {r['applied']:,} applied, {r['already']:,} already recorded, {r['rejected']:,} rejected")
        if r["rejects_file"]:
            console.print(f"rejected rows with their line and reason: {r['rejects_file']}")

    emit(result, as_json=as_json, render=render)


@app.command("import-receipts")
def import_receipts(
    file: Annotated[pathlib.Path, typer.Argument(help="CSV reference,delivered_on from the post.")],
    rejects: Annotated[pathlib.Path | None, typer.Option("--rejects", help="Where to write rejected rows.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Record postal delivery confirmations (proof of delivery, with file and line)."""
    _postal("receipts", file, rejects, as_json)


@app.command("import-returns")
def import_returns(
    file: Annotated[pathlib.Path, typer.Argument(help="CSV reference,returned_on[,reason] from the post.")],
    rejects: Annotated[pathlib.Path | None, typer.Option("--rejects", help="Where to write rejected rows.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Record letters the post returned as undeliverable (their addresses go to follow-up)."""
    _postal("returns", file, rejects, as_json)


@app.command()
def deem(
    campaign: CampaignArg,
    on: Annotated[str | None, typer.Option("--on", help="Date (YYYY-MM-DD); default today.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Apply the policy's deemed-delivery rule, if it has one; without one nothing changes."""
    from callup.notices.service import apply_deemed_delivery

    with _unit() as uow:
        day = parse_date(on, option="--on") if on else uow.ctx.today()
        n = apply_deemed_delivery(uow, campaign, on=day)
    emit({"campaign": campaign, "on": day, "deemed_delivered": n}, as_json=as_json,
         render=lambda d: console.print(f"{d['deemed_delivered']:,} notices deemed delivered on {d['on']} (policy rule)"))


@app.command()
def status(campaign: CampaignArg, as_json: JsonOption = False) -> None:
    """Summonses per state and region, and delivery by kind of evidence (proved, deemed, none)."""
    from rich.table import Table

    from callup.notices.service import status_report

    with _unit(write=False) as uow:
        report = dataclasses.asdict(status_report(uow, campaign))

    def render(r: dict[str, Any]) -> None:
        states = sorted(r["by_status"])
        table = Table("region", *states, title=f"summonses of {r['campaign']}")
        for region, counts in r["by_region"].items():
            table.add_row(region, *(f"{counts.get(s, 0):,}" for s in states))
        table.add_row("total", *(f"{r['by_status'][s]:,}" for s in states), style="bold")
        console.print(table)
        console.print(f"printed {r['printed']:,}, published {r['published']:,}; delivery evidence: "
                      + (", ".join(f"{k} {v:,}" for k, v in r["delivery_sources"].items()) or "none yet"))
        console.print(f"appeared {r['appeared']:,}, did not appear {r['no_show']:,}")

    emit(report, as_json=as_json, render=render)


@app.command("follow-up")
def follow_up_(
    campaign: CampaignArg,
    days: Annotated[int, typer.Option("--days", min=0, max=3650, help="Unconfirmed this many days after dispatch.")] = 14,
    as_json: JsonOption = False,
) -> None:
    """Notices that need an officer: returned letters, no evidence of delivery after N days, no-shows."""
    from callup.notices.service import follow_up

    with _unit() as uow:  # writes: the reads are audited
        items = [dataclasses.asdict(f) for f in follow_up(uow, campaign, days=days)]

    def render(rows: list[dict[str, Any]]) -> None:
        from rich.table import Table

        table = Table("reference", "region", "why", "since", title=f"{len(rows):,} to follow up")
        for f in rows:
            table.add_row(f["reference"], f["region"], f["reason"], when(f["since"]))
        console.print(table)

    emit(items, as_json=as_json, render=render)


@app.command()
def appearance(
    reference: ReferenceArg,
    outcome: Annotated[str, typer.Option("--outcome", help="appeared or no_show")],
    as_json: JsonOption = False,
) -> None:
    """Record whether the person appeared at the appointment (a no-show is listed for an officer, never punished automatically)."""
    from callup.errors import InputError
    from callup.notices.service import record_appearance

    if outcome not in ("appeared", "no_show"):
        raise InputError(f"{outcome!r} is not appeared or no_show", field="outcome")
    with _unit() as uow:
        result = dataclasses.asdict(record_appearance(uow, reference, outcome))
    emit(result, as_json=as_json, render=lambda r: console.print(f"{r['reference']}: {r['appearance']}"))


@app.command()
def move(
    reference: ReferenceArg,
    office: Annotated[str, typer.Option("--office", help="Office code.")],
    date: Annotated[str, typer.Option("--date", help="New date (YYYY-MM-DD).")],
    start: Annotated[str, typer.Option("--start", help="Slot start (HH:MM).")],
    as_json: JsonOption = False,
) -> None:
    """Move an appointment to another free slot, within the policy's limit."""
    from callup.errors import InputError
    from callup.notices.service import move as run

    try:
        at = dt.time.fromisoformat(start)
    except ValueError:
        raise InputError(f"{start!r} is not a time (HH:MM)", field="start") from None
    with _unit() as uow:
        result = dataclasses.asdict(run(uow, reference, office=office, date=parse_date(date, option="--date"), start=at))
    emit(result, as_json=as_json, render=lambda r: console.print(
        f"{r['reference']}: now {r['date']} {r['start']:%H:%M} at {r['office']}"))


@app.command()
def show(reference: ReferenceArg, as_json: JsonOption = False) -> None:
    """One summons: appointment, channels, delivery and its evidence."""
    from callup.notices.service import view

    with _unit() as uow:  # writes: the read is audited
        result = dataclasses.asdict(view(uow, reference))

    def render(r: dict[str, Any]) -> None:
        for key, value in r.items():
            shown = when(value) if isinstance(value, dt.datetime) else "" if value is None else value
            console.print(f"{key:>18}: {shown}")

    emit(result, as_json=as_json, render=render)


@app.command()
def reminders(
    opt_out: Annotated[str | None, typer.Option("--opt-out", metavar="NATIONAL_ID", help="Record that this person wants no reminders.")] = None,
    opt_in: Annotated[str | None, typer.Option("--opt-in", metavar="NATIONAL_ID", help="Record that this person wants reminders again.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Reminders by e-mail and text message: how many by channel and state, by kind, and who opted out (counts);
    with --opt-out or --opt-in, record a person's choice first (said at an office)."""
    from callup.errors import InputError, NotFound
    from callup.notices import reminders as service

    if opt_out and opt_in:
        raise InputError("give --opt-out or --opt-in, not both", field="opt_out")
    with _unit() as uow:
        changed = None
        if opt_out or opt_in:
            try:
                changed = service.set_opt_out(uow, (opt_out or opt_in or "").strip(), opt_out=bool(opt_out))
            except NotFound as exc:
                raise NotFound(exc.message, field="opt_out" if opt_out else "opt_in") from None
        found = dataclasses.asdict(service.summary(uow))
    data = {**found, "changed": changed}

    def render(d: dict[str, Any]) -> None:
        if d["changed"] is not None:
            console.print("recorded" if d["changed"] else "no change: that was already the person's choice")
        if not d["by_state"]:
            console.print("no reminders yet")
        for channel, states in d["by_state"].items():
            console.print(f"{'e-mail' if channel == 'email' else 'text message'}: "
                          + ", ".join(f"{n:,} {state}" for state, n in states.items()))
        if d["by_kind"]:
            console.print("by kind: " + ", ".join(f"{n:,} {kind}" for kind, n in d["by_kind"].items()))
        console.print(f"people who opted out: {d['opted_out']:,}")

    emit(data, as_json=as_json, render=render)
