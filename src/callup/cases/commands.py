"""`callup cases ...`: one case with its history, and the queue of cases waiting for a decision."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

import typer

from callup.cli_output import console, emit, when
from callup.cli_support import JsonOption, date_option, transaction

app = typer.Typer(help="Case work: show a case and its history, the queue of open cases.", no_args_is_help=True)

CaseArg = Annotated[int, typer.Argument(help="Case number.", min=1)]
KINDS = ("medical", "deferral", "exemption", "civilian_service", "appeal", "no_show")


def kind_of(text: str | None) -> Any:
    from callup.cases.kinds import CaseKind
    from callup.errors import InputError

    if text is None:
        return None
    if text not in KINDS:
        raise InputError(f"{text!r} is not one of {', '.join(KINDS)}", field="kind")
    return CaseKind(text)


def render_case(r: dict[str, Any]) -> None:
    console.print(f"case {r['id']} ({r['kind']}) of {r['national_id']} in {r['campaign']}, region {r['region']}: "
                  f"[bold]{r['state']}[/]")
    for key in ("ground", "evidence", "decided_by", "decided_role", "decided_at", "decision_reason", "appeal_deadline", "until",
                "appeals_case", "check_result", "check_source"):
        if r.get(key) is not None:
            console.print(f"{key:>16}: {r[key]}")
    console.print(f"{'next steps':>16}: {', '.join(r['allowed_steps']) or '(none: final)'}")
    for t in r["history"]:
        console.print(f"  {t['seq']:>2}. {when(t['at'])} {t['actor']} ({t['role']}): {t['step']} {t['from_state']} -> {t['to_state']}"
                      + (f"; {t['reason']}" if t["reason"] else "") + (f" [evidence {t['evidence']}]" if t["evidence"] else ""))


@app.command()
def show(case: CaseArg, reason: Annotated[str | None, typer.Option("--reason", help="Why you look (audited).")] = None,
         as_json: JsonOption = False) -> None:
    """One case: state, decision, appeal deadline, and every transition with who, when and why (the read is audited)."""
    from callup.cases.views import case_view

    with transaction() as uow:
        result = dataclasses.asdict(case_view(uow, case, reason=reason))
    emit(result, as_json=as_json, render=render_case)


@app.command()
def queue(
    kind: Annotated[str | None, typer.Option("--kind", help=f"Only this kind: {', '.join(KINDS)}.")] = None,
    campaign: Annotated[str | None, typer.Option("--campaign", help="Only this campaign.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Every case waiting for a decision in your regions, oldest first, with its age in days."""
    from callup.cases.views import queue as waiting

    with transaction(write=False) as uow:
        items = [dataclasses.asdict(i) for i in waiting(uow, kind=kind_of(kind), campaign=campaign)]

    def render(rows: list[dict[str, Any]]) -> None:
        from rich.table import Table

        table = Table("case", "kind", "campaign", "region", "state", "ground", "check", "age (days)", title=f"{len(rows):,} waiting")
        for i in rows:
            table.add_row(str(i["id"]), i["kind"], i["campaign"], i["region"], i["state"], i["ground"] or "",
                          i["check_result"] or "", str(i["age_days"]))
        console.print(table)

    emit(items, as_json=as_json, render=render)


# --- medical board ------------------------------------------------------------------------------------

CampaignArg = Annotated[str, typer.Argument(help="Campaign name, e.g. spring-2027.")]
PersonArg = Annotated[str, typer.Argument(help="National id of the called person.")]
ReasonOption = Annotated[str | None, typer.Option("--reason", help="Why (stored with the step; decisions need one).")]
EvidenceOption = Annotated[str | None, typer.Option("--evidence", help="Document reference.")]


@app.command()
def examine(campaign: CampaignArg, national_id: PersonArg, reason: ReasonOption = None, as_json: JsonOption = False) -> None:
    """Open a medical board case for a called person."""
    from callup.cases.medical import open_examination

    with transaction() as uow:
        result = dataclasses.asdict(open_examination(uow, campaign, national_id, reason=reason))
    emit(result, as_json=as_json, render=render_case)


@app.command()
def fitness(
    case: CaseArg,
    category: Annotated[str, typer.Option("--category", help="Fitness category code from the policy, e.g. A or G.")],
    reexamine_on: Annotated[str | None, typer.Option("--reexamine-on", help="Re-examination date (temporary categories).")] = None,
    details: Annotated[str | None, typer.Option("--details", help="Health details (stored encrypted; medical role only).")] = None,
    reason: ReasonOption = None,
    evidence: EvidenceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record the medical board's category; one the policy does not induct ends the call and calls a replacement."""
    from callup.cases.medical import decide_fitness

    with transaction() as uow:
        result = dataclasses.asdict(decide_fitness(uow, case, category, details=details, reason=reason, evidence=evidence,
                                                   reexamine_on=date_option(reexamine_on, "--reexamine-on")))

    def render(r: dict[str, Any]) -> None:
        render_case(r["case"])
        if r["released"]:
            console.print(f"the call ended; {call_filled(r)}")

    emit(result, as_json=as_json, render=render)


@app.command()
def findings(case: CaseArg, reason: ReasonOption = None, as_json: JsonOption = False) -> None:
    """The health details of a medical case (medical role only; every read is audited)."""
    from callup.cases.medical import read_findings

    with transaction() as uow:
        result = [dataclasses.asdict(f) for f in read_findings(uow, case, reason=reason)]
    emit(result, as_json=as_json, render=lambda rows: [console.print(
        f"{when(f['recorded_at'])} {f['recorded_by']}: category {f['category']}: {f['details'] or '(no details)'}") for f in rows])


# --- applications: deferrals, exemptions, civilian service ----------------------------------------------------------------------------


def call_filled(r: dict[str, Any]) -> str:
    """Who took the call a decision ended, in words."""
    from callup.campaigns.replacements import filled_in_words

    return f"replaced by {filled_in_words(r.get('filled_by'), r.get('replacement'))}"


def render_outcome(r: dict[str, Any]) -> None:
    render_case(r["case"])
    if r.get("check"):
        c = r["check"]
        console.print(f"registry check: [bold]{c['result']}[/] ({c['source']})")
    if r.get("granted_automatically"):
        console.print("granted automatically: the registry verified the ground")
    if r.get("released"):
        console.print(f"the call ended; {call_filled(r)}")


@app.command()
def defer(
    campaign: CampaignArg,
    national_id: PersonArg,
    ground: Annotated[str, typer.Option("--ground", help="Deferral ground code from the policy, e.g. study.")],
    evidence: EvidenceOption = None,
    reason: ReasonOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record a deferral application; where the policy names a registry for the ground, it is checked at once."""
    from callup.cases.deferrals import apply_for_deferral

    with transaction() as uow:
        result = dataclasses.asdict(apply_for_deferral(uow, campaign, national_id, ground, evidence=evidence, reason=reason))
    emit(result, as_json=as_json, render=render_outcome)


def decision_of(grant: bool, refuse: bool) -> str:
    from callup.errors import InputError

    if grant == refuse:
        raise InputError("give exactly one of --grant or --refuse", field="decision")
    return "grant" if grant else "refuse"


GrantOption = Annotated[bool, typer.Option("--grant", help="Grant the application.")]
RefuseOption = Annotated[bool, typer.Option("--refuse", help="Refuse the application.")]
DecisionReason = Annotated[str, typer.Option("--reason", help="The reasons of the decision (required).")]


@app.command()
def decide(
    case: CaseArg,
    reason: DecisionReason,
    grant: GrantOption = False,
    refuse: RefuseOption = False,
    until: Annotated[str | None, typer.Option("--until", help="End of a granted deferral (default: the ground's maximum).")] = None,
    evidence: EvidenceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Grant or refuse a deferral, exemption or civilian service application, with reasons (a grant ends the call)."""
    from callup.cases.decisions import decide_application

    choice = decision_of(grant, refuse)
    with transaction() as uow:
        result = dataclasses.asdict(decide_application(uow, case, choice, reason=reason, until=date_option(until, "--until"),
                                                       evidence=evidence))
    emit(result, as_json=as_json, render=render_outcome)


@app.command()
def exempt(
    campaign: CampaignArg,
    national_id: PersonArg,
    ground: Annotated[str, typer.Option("--ground", help="Exemption ground code from the policy, e.g. prior_service.")],
    evidence: EvidenceOption = None,
    reason: ReasonOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record an application for a (permanent) exemption on a policy ground."""
    from callup.cases.exemptions import apply_for_exemption

    with transaction() as uow:
        result = dataclasses.asdict(apply_for_exemption(uow, campaign, national_id, ground, evidence=evidence, reason=reason))
    emit(result, as_json=as_json, render=render_case)


@app.command()
def civilian(
    campaign: CampaignArg,
    national_id: PersonArg,
    statement: Annotated[str, typer.Option("--statement", help="The applicant's reasons of conscience.")],
    evidence: EvidenceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record an application for alternative civilian service on grounds of conscience."""
    from callup.cases.civilian import apply_for_civilian_service

    with transaction() as uow:
        result = dataclasses.asdict(apply_for_civilian_service(uow, campaign, national_id, statement=statement, evidence=evidence))
    emit(result, as_json=as_json, render=render_case)


@app.command()
def assign(
    case: CaseArg,
    employer: Annotated[str, typer.Option("--employer", help="The civilian employer.")],
    start: Annotated[str, typer.Option("--start", help="First day of service (YYYY-MM-DD).")],
    reason: ReasonOption = None,
    as_json: JsonOption = False,
) -> None:
    """Assign a person granted civilian service to an employer for the policy's term."""
    from callup.cases.civilian import assign as run

    with transaction() as uow:
        result = dataclasses.asdict(run(uow, case, employer=employer, start=date_option(start, "--start"), reason=reason))

    def render(r: dict[str, Any]) -> None:
        render_case(r["case"])
        console.print(f"civilian service at {r['employer']} from {r['start']} to {r['planned_end']} ({r['term_months']} months)")

    emit(result, as_json=as_json, render=render)


@app.command()
def withdraw(case: CaseArg, reason: ReasonOption = None, as_json: JsonOption = False) -> None:
    """Withdraw an application or appeal that is still waiting."""
    from callup.cases.applications import withdraw as run

    with transaction() as uow:
        result = dataclasses.asdict(run(uow, case, reason=reason))
    emit(result, as_json=as_json, render=render_case)


# --- appeals ------------------------------------------------------------------------------------------


@app.command()
def appeal(case: CaseArg, reason: DecisionReason, evidence: EvidenceOption = None, as_json: JsonOption = False) -> None:
    """Lodge an appeal against a case's decision, within the policy's deadline (a late appeal is refused)."""
    from callup.cases.appeals import lodge_appeal

    with transaction() as uow:
        result = dataclasses.asdict(lodge_appeal(uow, case, reason=reason, evidence=evidence))
    emit(result, as_json=as_json, render=render_case)


@app.command("decide-appeal")
def decide_appeal(
    case: CaseArg,
    reason: DecisionReason,
    uphold: Annotated[bool, typer.Option("--uphold", help="The contested decision stands.")] = False,
    overturn: Annotated[bool, typer.Option("--overturn", help="Undo the contested decision exactly.")] = False,
    evidence: EvidenceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Uphold or overturn the decision an appeal contests, with reasons (another officer than the one who decided it)."""
    from callup.cases.appeals import decide_appeal as decide
    from callup.errors import InputError

    if uphold == overturn:
        raise InputError("give exactly one of --uphold or --overturn", field="decision")
    with transaction() as uow:
        result = dataclasses.asdict(decide(uow, case, "uphold" if uphold else "overturn", reason=reason, evidence=evidence))

    def render(r: dict[str, Any]) -> None:
        render_case(r["appeal"])
        render_case(r["contested"])
        if r["restored_call"] and r["replacement_kept"] == r["contested"]["national_id"]:
            console.print("the call is restored, beyond the region's number: the call it filled is someone else's again")
        elif r["restored_call"]:
            console.print(f"the call is restored; {r['replacement_kept'] or 'no replacement'} keeps their call beyond the number")

    emit(result, as_json=as_json, render=render)


# --- no-shows -----------------------------------------------------------------------------------------


@app.command("no-shows")
def no_shows(campaign: CampaignArg, as_json: JsonOption = False) -> None:
    """Open a case for every recorded no-show that has none yet, and list the no-show cases waiting, oldest first."""
    from callup.cases.kinds import CaseKind
    from callup.cases.noshows import open_no_shows
    from callup.cases.views import queue as waiting

    with transaction() as uow:
        opened = open_no_shows(uow, campaign)
        items = [dataclasses.asdict(i) for i in waiting(uow, kind=CaseKind.no_show, campaign=campaign)]
    result = {"campaign": campaign, "opened": opened.opened, "already": opened.already, "waiting": items}

    def render(r: dict[str, Any]) -> None:
        console.print(f"{len(r['opened']):,} no-show cases opened; {len(r['waiting']):,} wait for an officer (oldest first):")
        for i in r["waiting"]:
            console.print(f"  case {i['id']} ({i['region']}): {i['age_days']} days")

    emit(result, as_json=as_json, render=render)


@app.command()
def resolve(
    case: CaseArg,
    reason: DecisionReason,
    reschedule: Annotated[bool, typer.Option("--reschedule", help="Give a new appointment (with --office, --date, --start).")] = False,
    excuse: Annotated[bool, typer.Option("--excuse", help="Excuse the absence.")] = False,
    refer: Annotated[bool, typer.Option("--refer", help="Refer to the authority the policy names.")] = False,
    office: Annotated[str | None, typer.Option("--office", help="Office of the new appointment.")] = None,
    date: Annotated[str | None, typer.Option("--date", help="Date of the new appointment (YYYY-MM-DD).")] = None,
    start: Annotated[str | None, typer.Option("--start", help="Slot start of the new appointment (HH:MM).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Resolve a no-show: rescheduled, excused with a reason, or referred to the policy's authority (never automatic)."""
    import datetime as dt

    from callup.cases.noshows import resolve_no_show
    from callup.errors import InputError

    chosen = [name for name, flag in (("reschedule", reschedule), ("excuse", excuse), ("refer", refer)) if flag]
    if len(chosen) != 1:
        raise InputError("give exactly one of --reschedule, --excuse or --refer", field="resolution")
    try:
        at = dt.time.fromisoformat(start) if start else None
    except ValueError:
        raise InputError(f"{start!r} is not a time (HH:MM)", field="start") from None
    with transaction() as uow:
        result = dataclasses.asdict(resolve_no_show(uow, case, chosen[0], reason=reason, office=office,
                                                    date=date_option(date, "--date"), start=at))
    emit(result, as_json=as_json, render=render_case)
