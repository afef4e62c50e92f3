"""`callup demo`: the main job end to end on a synthetic country, in the configured store.

Each step runs the same command a user would type, so the demo is also a smoke test of the
whole product. With `--json`, the steps' JSON documents are gathered into one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import pathlib
import time
from collections.abc import Callable
from typing import Annotated, Any

import typer

from callup.cli_output import console, emit
from callup.examples import path as example


def _next_spring(today: dt.date) -> dt.date:
    spring = dt.date(today.year, 4, 1)
    return spring if spring >= today else dt.date(today.year + 1, 4, 1)


def _callup() -> str:
    """How to run callup again from here: `callup` when that is the one on the PATH, else its path."""
    import shutil
    import sys

    running = pathlib.Path(sys.argv[0]).resolve()
    on_path = shutil.which("callup")
    if running.name != "callup":  # started as `python -m callup.cli`
        return "callup" if on_path else f"{sys.executable} -m callup.cli"
    if on_path and pathlib.Path(on_path).resolve() == running:
        return "callup"
    try:
        return str(running.relative_to(pathlib.Path.cwd().resolve()))
    except ValueError:
        return str(running)


def _campaign_status(ctx, name: str) -> str | None:  # noqa: ANN001
    from callup.campaigns.errors import CampaignNotFound
    from callup.campaigns.service import campaign_summary
    from callup.uow import UnitOfWork

    try:
        with UnitOfWork(ctx, write=False) as uow:
            return campaign_summary(uow, name).status
    except CampaignNotFound:
        return None


def _first_called_region(ctx, name: str) -> str:  # noqa: ANN001
    from callup.campaigns.service import campaign_summary
    from callup.uow import UnitOfWork

    with UnitOfWork(ctx, write=False) as uow:
        regions = campaign_summary(uow, name).regions
    return next(r.region for r in regions if r.called > 0)


#: The demo's default register: large enough to show every step at a realistic scale, small enough
#: to finish in a few minutes on two cores.
DEMO_PEOPLE = 1_000_000
#: `--full-scale`: the seed scenario's country (30 million people) and its decree of 160,000.
FULL_SCALE_PEOPLE, FULL_SCALE_QUOTA = 30_000_000, 160_000
DEMO_MAX_PEOPLE = FULL_SCALE_PEOPLE


DEMO_PASSWORD = "rehearsal-only-password"  # noqa: S105 - printed by the demo for its own fictional accounts


def _demo_sign_ins(ctx, campaign: str, region: str, round_name: str) -> dict[str, Any]:  # noqa: ANN001
    """A citizen's reference and code from the demo's letters, and demo accounts of the administration.

    The accounts are made once (a re-run shows the same names and makes a new TOTP secret only
    for accounts it creates); their password is the demo's fixed one: rehearsal data only.
    """
    import urllib.parse

    from callup.notices.service import sign_in_details
    from callup.uow import UnitOfWork
    from callup.web.accounts import add_user, list_users

    people: dict[str, Any] = {}
    with UnitOfWork(ctx) as uow:
        people["citizen"] = sign_in_details(uow, campaign, region=region)
        from callup.questionnaire.service import sign_in_details as questionnaire_sign_in

        people["self_declaration"] = questionnaire_sign_in(uow, round_name)
        existing = {u["name"] for u in list_users(uow)}
        for who, role, regions in (("officer", "officer", region), ("medical", "medical", region), ("auditor", "auditor", None)):
            name = f"demo-{who}"
            secret = None
            if name not in existing:
                made = add_user(uow, name, role=role, password=DEMO_PASSWORD, regions=regions)
                secret = urllib.parse.parse_qs(urllib.parse.urlparse(made.otpauth_uri).query)["secret"][0]
            people[who] = {"name": name, "password": DEMO_PASSWORD, "totp_secret": secret or "(made by an earlier run)"}
    return people


def demo(
    people: Annotated[int | None, typer.Option("--people", help=f"Size of the synthetic register [default: {DEMO_PEOPLE:,}].",
                                               show_default=False)] = None,
    full_scale: Annotated[bool, typer.Option("--full-scale", help=f"The seed scenario at full size: {FULL_SCALE_PEOPLE:,} people "
                                             f"and a decree of {FULL_SCALE_QUOTA:,} (two hours or more on two cores).")] = False,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic register.")] = 2026,
    out: Annotated[pathlib.Path, typer.Option("--out", help="Directory for the files the demo writes.")] = pathlib.Path("demo-out"),
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
) -> None:
    """Run the main job on a synthetic register: import, eligibility, a campaign drawn, verified and run to its report, planning.

    Re-running it in the same store repeats nothing that is done: the import and the campaign
    are recognised and only shown again.
    """
    from callup.campaigns import commands as campaigns
    from callup.cli_support import context
    from callup.errors import InputError
    from callup.file_output import check_folder
    from callup.lottery import commands as lottery
    from callup.policy.months import add_months
    from callup.register import commands as register
    from callup.reports.plan_commands import planning as plan  # the planning commands, with the store's reader installed

    if full_scale and people is not None:
        raise InputError("--full-scale sets the register's size: leave out --people", field="people")
    people = FULL_SCALE_PEOPLE if full_scale else DEMO_PEOPLE if people is None else people
    if not 1 <= people <= DEMO_MAX_PEOPLE:
        raise InputError(f"the demo runs on 1 to {DEMO_MAX_PEOPLE:,} people (a larger register: `callup synth` and "
                         f"`callup register import`), got {people:,}", field="people")
    if seed < 0:
        raise InputError(f"must be zero or more, got {seed}", field="seed")
    check_folder(out, field="out", create=True, private=False)
    policy = example("policies/republic-of-example.toml")
    ctx = context(policy=policy)
    today = ctx.today()
    on = _next_spring(today)
    summary: dict[str, Any] = {}

    seconds: dict[str, float] = {}

    def step(key: str, title: str, command: Callable[..., None], /, **kwargs: Any) -> None:
        started = time.monotonic()
        if not as_json:
            console.rule(f"[bold]{title}")
            command(**kwargs, as_json=False)
        else:
            captured = io.StringIO()
            with contextlib.redirect_stdout(captured):
                command(**kwargs, as_json=True)
            summary[key] = json.loads(captured.getvalue())
        seconds[key] = round(time.monotonic() - started, 2)
        if not as_json:
            console.print(f"[dim]({seconds[key]:,.1f} s)")

    register_file = out / "register.csv"
    step("synth", f"1. A synthetic register of {people:,} people (0.5% malformed rows on purpose)", register.synth,
         out=register_file, people=people, seed=seed, bad_rows=0.005, on=today.isoformat(), policy=policy)
    step("import", "2. Import into the register (bad rows to a rejects file)", register.import_,
         file=register_file, policy=policy, rejects=out / "register.rejects.csv", force=False)
    step("eligible", f"3. The eligible pool on {on} by region", register.eligible,
         on=on.isoformat(), policy=policy, excluded_out=out / "excluded.csv", pool_out=None, rules_on=None)
    before = dt.date(2023, 12, 31)
    step("eligible_before_law", f"4. The same register on the same day under the rules of {before} (upper age 27, before "
         "the amendment)", register.eligible, on=on.isoformat(), policy=policy, excluded_out=None, pool_out=None,
         rules_on=before.isoformat())
    campaign = f"spring-{on.year}"
    from callup.questionnaire import commands as questionnaire
    from callup.questionnaire.service import cohort_window, default_round_name
    from callup.simulation import commands as simulate

    round_name = default_round_name(ctx, today)
    status = _campaign_status(ctx, campaign)
    if status is None:  # before the campaign: the cohort's self-declaration, sent and answered (once)
        declaration = ctx.policy().in_force(today).questionnaire
        assert declaration is not None, "the demo's policy has a questionnaire"
        born = cohort_window(declaration, today)
        step("questionnaire", f"4a. The self-declaration sent to everyone born {born[0]} to {born[1]} (the policy's "
             "questionnaire, by post and on the portal)", questionnaire.send, on=None, name=None, policy=policy)
        step("questionnaire_answers", "4b. Their answers (simulated: 97% answer, some on paper), recorded in batches",
             simulate.questionnaire, round_name=round_name, seed=1, rate=0.97)
    step("questionnaire_status", "4c. Who answered, by region, and the lists the answers sent people to",
         questionnaire.status, name=round_name, policy=policy)
    window = f"{on.isoformat()}:{dt.date(on.year, 7, 15).isoformat()}"
    # The scenario's 160,000 of 30 million people, scaled to this register (at least 10 people).
    quota = FULL_SCALE_QUOTA if full_scale else max(people * FULL_SCALE_QUOTA // FULL_SCALE_PEOPLE, 10)
    public = out / "public" / campaign
    if status is None:
        step("campaign", f"5. Campaign {campaign}: decree of {quota:,} (over-call 35%), pool frozen and allocated to regions",
             campaigns.create, name=campaign, window=window, quota=str(quota), policy=policy, regional_quotas=None, over_call="0.35",
             method="largest_remainder", on=None, volunteers=None, freeze=True)
    if status in (None, "frozen"):
        # A real campaign commits to a future drand round and draws with its signed JSON; a demo
        # cannot wait for one, so it rehearses with a typed value, which the record says is unverified.
        step("commit", "6. Commitment (a rehearsal: a real campaign commits to a future drand round)", campaigns.commit_,
             name=campaign, unverified_beacon=f"demo rehearsal value for {campaign}")
    if status not in ("drawn", "closed"):
        beacon = hashlib.sha256(f"demo beacon {campaign}".encode()).hexdigest()
        step("draw", f"7. Draw with the rehearsal beacon value {beacon[:16]}...", campaigns.draw_, name=campaign, beacon=beacon,
             unverified=True)
    else:
        step("campaign", f"5-7. Campaign {campaign} was drawn by an earlier run", campaigns.show, name=campaign)
    step("export", "8. The public record (no personal data)", campaigns.export, name=campaign, out=public)
    step("verify", "9. Independent verification of the published draw", lottery.verify,
         record=public / "draw-record.json", pool=public / "pool.parquet", commitment=None)
    from callup.notices import commands as notices

    step("issue", "10. Summonses with appointments for every called person", notices.issue, campaign=campaign, offices=None)
    first_region = _first_called_region(ctx, campaign)
    step("print", f"11. The letters of region {first_region} as PDF batches with mailing manifests", notices.print_,
         campaign=campaign, region=first_region, out=out / "letters", workers=1, portal_url="https://portal.example")
    step("publish", "12. Every summons published on the portal", notices.publish, campaign=campaign)
    step("notices", "13. Where the summonses stand", notices.status, campaign=campaign)
    if status != "closed":  # a closed campaign was simulated by an earlier run
        step("simulate", "14. Simulated responses: delivery, applications and appeals, the medical board, induction, contracts "
             "signed during the service",
             simulate.responses, campaign=campaign, seed=1, rates=None)
    step("report", "15. The campaign report: every called person in exactly one outcome, adding up in every region",
         campaigns.outcomes_, name=campaign, outcomes=out / "outcomes.csv")
    step("close", "16. The campaign closed: nobody more is called or replaced", campaigns.close, name=campaign)
    step("calibrate", "17. Yields per person called, calibrated from this campaign's outcome table", plan.calibrate,
         outcomes=out / "outcomes.csv", inducted=quota)
    # Six months into the service: the conscripts then serving, by months served, and those who signed a contract by
    # then; the rest of the example scenario at this register's size (the seed scenario is a country of 30 million).
    figures_on = add_months(on, 6)
    scale = None if people == FULL_SCALE_PEOPLE else people / FULL_SCALE_PEOPLE
    step("plan", f"18. Force projection from the store on {figures_on}: its conscripts and contract soldiers, this campaign's "
         "yield and the conversions so far; the rest from the example scenario"
         + (f" scaled to {people:,} people" if scale else "") + " (36 months, 2,000 Monte Carlo runs)", plan.project,
         scenario=example("scenarios/seed-36-months.toml"), months=36, runs=2000, seed=1, out=out / "plan", from_store=True,
         on=figures_on.isoformat(), scale=scale)
    from callup.reports import commands as reports

    step("campaign_report", "19. The campaign report (HTML and PDF)", reports.campaign, name=campaign,
         out=out / "report", scenario=None, policy=policy)
    step("transparency_report", "20. The transparency report for publication (small counts suppressed)",
         reports.transparency, name=campaign, out=out / "transparency", policy=policy)
    sign_ins = _demo_sign_ins(ctx, campaign, first_region, round_name)
    if as_json:
        summary["sign_ins"] = sign_ins
        summary["seconds"] = seconds
        emit(summary, as_json=True)
    else:
        console.rule("[bold]done")
        console.print(f"files written under {out}/: open {out / 'report'}/ (campaign report, HTML and PDF), "
                      f"{out / 'transparency'}/, {out / 'letters'}/ (letters of {first_region}), {out / 'public'}/ (draw record)")
        console.print(f"start the portal and console:  {_callup()} serve   (then open http://127.0.0.1:8000/)")
        console.print("demo sign-ins (rehearsal data only):")
        c = sign_ins["citizen"]
        console.print(f"  citizen: reference {c['reference']}  sign-in code {c['code']}")
        if sign_ins["self_declaration"]:
            d = sign_ins["self_declaration"]
            console.print(f"  citizen with a self-declaration to answer: reference {d['reference']}  sign-in code {d['code']}")
        for who in ("officer", "medical", "auditor"):
            u = sign_ins[who]
            console.print(f"  {who}: name {u['name']}  password {u['password']}  TOTP secret {u['totp_secret']} "
                          f"(any authenticator app, or: oathtool --totp -b {u['totp_secret']})")
