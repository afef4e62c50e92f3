"""`callup questionnaire ...`: send the self-declaration to a cohort, see who answered, remind, print paper forms,
key a paper form, read answers and the lists answers route people to."""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Annotated, Any

import typer

from callup.cli_output import console, emit
from callup.cli_support import JsonOption, PolicyOption, context, date_option

app = typer.Typer(help="The self-declaration questionnaire: send, status, remind, print, key a paper form, answers.",
                  no_args_is_help=True)

RoundArg = Annotated[str, typer.Argument(help="The round's name (as `send` printed it, e.g. born-2009).")]
ReasonOption = Annotated[str | None, typer.Option("--reason", help="Why you read this (written to the audit log).")]


@app.callback()
def _group() -> None:
    """The self-declaration questionnaire: send, status, remind, print, key a paper form, answers."""


@app.command()
def send(
    on: Annotated[str | None, typer.Option("--on", help="The day it is sent (YYYY-MM-DD) [default: today].")] = None,
    name: Annotated[str | None, typer.Option("--name", help="The round's name [default: born-YEAR of the cohort].")] = None,
    policy: PolicyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Send the policy's questionnaire to its cohort (again: only to people registered since)."""
    from callup.questionnaire.service import send_questionnaire

    result = send_questionnaire(context(policy=policy), on=date_option(on, "--on"), name=name)
    data = dataclasses.asdict(result)

    def render(d: dict[str, Any]) -> None:
        console.print(f"questionnaire [bold]{d['round']}[/] (policy {d['policy_version']}) sent on {d['sent_on']} to "
                      f"{d['sent']:,} people born {d['born_from']} to {d['born_to']} ({d['recipients']:,} in the round); "
                      f"answers by {d['deadline']}")

    emit(data, as_json=as_json, render=render)


def _status_data(report: Any) -> dict[str, Any]:
    data = dataclasses.asdict(report)
    data.update(sent=report.sent, answered=report.answered, rate=round(report.rate, 4))
    for row, region in zip(data["regions"], report.regions, strict=True):
        row["rate"] = round(region.rate, 4)
    return data


@app.command()
def status(name: RoundArg, policy: PolicyOption = None, as_json: JsonOption = False) -> None:
    """Who has answered, by region: sent, answered (on paper), started, reminded, and the open routes."""
    from callup.questionnaire.service import status as status_of
    from callup.uow import UnitOfWork

    with UnitOfWork(context(policy=policy), write=False) as uow:
        data = _status_data(status_of(uow, name))

    def render(d: dict[str, Any]) -> None:
        from rich.table import Table

        console.print(f"questionnaire [bold]{d['round']}[/] sent {d['sent_on']}, answers by {d['deadline']}: "
                      f"{d['answered']:,} of {d['sent']:,} answered ({d['rate']:.1%})")
        table = Table("region", "sent", "answered", "rate", "on paper", "started", "reminded")
        for r in d["regions"]:
            table.add_row(r["region"], f"{r['sent']:,}", f"{r['answered']:,}", f"{r['rate']:.1%}", f"{r['on_paper']:,}",
                          f"{r['started']:,}", f"{r['reminded']:,}")
        console.print(table)
        for route, n in sorted(d["routes"].items()):
            console.print(f"  open route {route.replace('_', ' ')}: {n:,}")

    emit(data, as_json=as_json, render=render)


@app.command()
def remind(
    name: RoundArg,
    out: Annotated[pathlib.Path | None, typer.Option("--out", help="Write the reminder letters (paper forms marked "
                                                     "as a reminder) as PDF here, with the list as CSV.")] = None,
    policy: PolicyOption = None,
    as_json: JsonOption = False,
) -> None:
    """List everyone who has not answered and record a reminder; with --out, print their reminder forms."""
    from callup.questionnaire import forms
    from callup.questionnaire.service import remind as remind_all
    from callup.uow import UnitOfWork

    ctx = context(policy=policy)
    with UnitOfWork(ctx) as uow:
        result = remind_all(uow, name, channel="post" if out else "list")
    written = forms.print_forms(ctx, name, out=out, references=[p.reference for p in result.people], reminder=True) \
        if out and result.people else None
    data = {"round": result.round, "deadline": result.deadline.isoformat(), "reminded": len(result.people),
            "people": [dataclasses.asdict(p) for p in result.people], "files": written.files if written else []}

    def render(d: dict[str, Any]) -> None:
        console.print(f"questionnaire [bold]{d['round']}[/]: {d['reminded']:,} people have not answered (answers by "
                      f"{d['deadline']}); each is recorded as reminded")
        for f in d["files"]:
            console.print(f"  wrote {f}")
        if not d["files"]:
            console.print("  (no letters written: pass --out DIR to print their reminder forms)")

    emit(data, as_json=as_json, render=render)


@app.command("print")
def print_(
    name: RoundArg,
    out: Annotated[pathlib.Path, typer.Option("--out", help="Directory for the PDF forms and their list.")],
    region: Annotated[str | None, typer.Option("--region", help="Only this region's forms.")] = None,
    portal_url: Annotated[str, typer.Option("--portal-url", help="The portal's address printed on the form.")] =
        "https://portal.example",
    policy: PolicyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Print the paper forms of a round (one per person, with the reference and sign-in code) as a PDF."""
    from callup.questionnaire import forms

    result = forms.print_forms(context(policy=policy), name, out=out, region=region, portal_url=portal_url)
    emit(dataclasses.asdict(result), as_json=as_json,
         render=lambda d: console.print(f"{d['forms']:,} forms of {d['round']} written: " + ", ".join(d["files"])))


def _answers(pairs: list[str]) -> dict[str, str]:
    from callup.errors import InputError

    found: dict[str, str] = {}
    for pair in pairs:
        qid, sep, value = pair.partition("=")
        if not sep or not qid.strip():
            raise InputError(f"{pair[:40]!r} is not QUESTION=ANSWER", field="answer")
        found[qid.strip()] = value
    return found


@app.command()
def key(
    reference: Annotated[str, typer.Argument(help="The reference printed on the paper form.")],
    answer: Annotated[list[str], typer.Option("--answer", help="QUESTION=ANSWER, once per question on the form "
                                              "(yes/no, a choice's code, a date YYYY-MM-DD, or text).")],
    policy: PolicyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Key the answers of a paper form and send them (officer or administrator)."""
    from callup.errors import InputError
    from callup.questionnaire.service import AnswerInvalid, key_answers
    from callup.uow import UnitOfWork

    try:
        with UnitOfWork(context(policy=policy)) as uow:
            receipt = key_answers(uow, reference, _answers(answer))
    except AnswerInvalid as exc:
        raise InputError(f"question {exc.field}: {exc.message}", field="answer") from None
    emit(dataclasses.asdict(receipt), as_json=as_json,
         render=lambda d: console.print(f"answers of {d['reference']} recorded ({d['round']}, on paper)"
                                        + (f"; routed to {', '.join(d['routes'])}" if d["routes"] else "")))


@app.command()
def answers(
    national_id: Annotated[str, typer.Argument(help="The person's national id.")],
    reason: ReasonOption = None,
    policy: PolicyOption = None,
    as_json: JsonOption = False,
) -> None:
    """A person's answers (the roles the policy names as readers only). Audited."""
    from callup.questionnaire.service import read_answers
    from callup.uow import UnitOfWork

    with UnitOfWork(context(policy=policy)) as uow:
        views = read_answers(uow, national_id, reason=reason)
    data = {"national_id": national_id.strip(), "questionnaires": [dataclasses.asdict(v) for v in views]}

    def render(d: dict[str, Any]) -> None:
        for v in d["questionnaires"]:
            sent = f"sent {v['submitted_at']} ({v['channel']})" if v["submitted_at"] else "not answered"
            console.print(f"[bold]{v['round']}[/] {v['reference']} (region {v['region']}): {sent}")
            for _qid, text, given in v["answers"]:
                console.print(f"  {text}  [bold]{given or '-'}[/]")

    emit(data, as_json=as_json, render=render)


@app.command()
def routes(
    name: RoundArg,
    route: Annotated[str, typer.Option("--route", help="medical_preassessment or deferral_check.")],
    include_closed: Annotated[bool, typer.Option("--include-closed", help="Also the closed ones.")] = False,
    reason: ReasonOption = None,
    policy: PolicyOption = None,
    as_json: JsonOption = False,
) -> None:
    """The people an answer routed to a list (the policy's readers only; each listed person's read is audited)."""
    from callup.questionnaire.service import routed
    from callup.uow import UnitOfWork

    with UnitOfWork(context(policy=policy)) as uow:
        found = routed(uow, name, route, include_closed=include_closed, reason=reason)
    data = {"round": name, "route": route, "people": [dataclasses.asdict(p) for p in found]}

    def render(d: dict[str, Any]) -> None:
        console.print(f"{len(d['people']):,} people on the {route.replace('_', ' ')} list of {name}")
        for p in d["people"]:
            extra = f" {p['ground']}: {p['detail']}" if p["ground"] else ""
            console.print(f"  {p['national_id']}  {p['region']}{extra}" + ("  (closed)" if p["closed_at"] else ""))

    emit(data, as_json=as_json, render=render)


@app.command()
def close(
    national_id: Annotated[str, typer.Argument(help="The person's national id.")],
    route: Annotated[str, typer.Option("--route", help="medical_preassessment (medical board) or deferral_check.")],
    reason: Annotated[str, typer.Option("--reason", help="What was done (written to the audit log).")],
    policy: PolicyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Close a person's route: the medical board has seen them, or the deferral was checked."""
    from callup.questionnaire.service import close_route
    from callup.uow import UnitOfWork

    with UnitOfWork(context(policy=policy)) as uow:
        closed = close_route(uow, national_id, route, reason=reason)
    emit({"national_id": national_id.strip(), "route": route, "closed": closed}, as_json=as_json,
         render=lambda d: console.print(f"closed {d['closed']} {route.replace('_', ' ')} route(s)"))
