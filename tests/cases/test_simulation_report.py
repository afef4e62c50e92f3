"""A whole campaign driven by simulated responses on both backends, and its report: every called person in exactly one
outcome, the identities per region, the national row the sum of the regions, the outcome table calibrate reads."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from callup import audit
from callup.campaigns.tables import OrderEntry
from callup.cases.errors import CaseInputError
from callup.planning.calibration import calibrate
from callup.reports.outcomes import FINAL, OPEN, campaign_report, outcome_rows, outcomes_csv
from callup.simulation.responses import Appeal, Rates, load_rates, simulate
from callup.uow import UnitOfWork
from case_helpers import CAMPAIGN, as_role, drawn_campaign

order = OrderEntry.__table__


def _report(ctx):  # noqa: ANN001, ANN202
    with UnitOfWork(ctx, write=False) as uow:
        return campaign_report(uow, CAMPAIGN)


def test_a_simulated_campaign_ends_with_a_report_that_adds_up_and_replacements_that_fill_the_numbers(ctx, engine, tmp_path):
    day = drawn_campaign(ctx, tmp_path, people=3000, quota=60)
    # Appeals often enough that every draw of the campaign (its salt is random) has some, and overturns among them.
    rates = Rates(appearance=0.8, contract=0.3, appeal=Appeal(rate=0.6, overturn=0.5))
    result = simulate(day, CAMPAIGN, seed=7, rates=rates)
    steps = result.steps
    assert result.people > 60 and steps["inducted"] > 0 and steps.get("appealed", 0) > 0 and steps["no_show"] > 0
    from callup.military_service.tables import ServiceRecord

    records = ServiceRecord.__table__
    with engine.connect() as conn:
        signed = conn.execute(select(records.c.start, records.c.converted_from).where(records.c.service_status == "contract")).all()
        started = dict(conn.execute(select(records.c.id, records.c.start)).all())
    assert steps["contract_signed"] == len(signed) > 0  # conversions during the simulated service
    assert all((s.start - started[s.converted_from]).days >= 89 for s in signed)  # never before three whole months
    report = _report(day)
    assert report.adds_up, report.identities
    for region in [*report.regions, report.national]:
        assert all(region.identities().values()), (region.region, region.identities())
        assert region.called == sum(region.outcomes[k] for k in FINAL + OPEN)
    national = report.national
    assert national.called == sum(r.called for r in report.regions) == result.people
    assert national.replacements > 0 and national.released >= national.replacements - national.supernumerary
    with engine.connect() as conn:
        reserve = dict(conn.execute(select(order.c.region, func.count()).group_by(order.c.region)).all())
    for r in report.regions:  # the number is filled wherever the region's reserve allows it
        assert r.counted_to_number == r.number or r.called == reserve[r.region]
    assert national.outcomes["inducted"] == steps["inducted"]
    table = tmp_path / "outcomes.csv"
    table.write_text(outcomes_csv(report))
    calibration = calibrate(table)
    assert calibration.called == national.called
    assert calibration.overall["inducted"] == pytest.approx(national.outcomes["inducted"] / national.called)
    assert [r["region"] for r in outcome_rows(report)] == [r.region for r in report.regions if r.called]
    (run,) = audit.entries(engine, action="simulation.run")
    assert run.details["seed"] == 7 and run.details["people"] == result.people
    again = simulate(day, CAMPAIGN, seed=8)  # once per campaign: a second run changes nothing
    assert again.already_done and (again.seed, again.steps) == (7, result.steps)
    assert len(audit.entries(engine)) == len(audit.entries(engine)[:run.seq])
    assert audit.verify(engine).ok


def test_a_regional_officer_s_report_covers_their_regions_only(ctx, engine, tmp_path):
    day = drawn_campaign(ctx, tmp_path)
    simulate(day, CAMPAIGN, seed=1)
    whole = _report(day)
    region = whole.regions[0].region
    mine = _report(as_role(day, "officer", regions=region))
    assert [r.region for r in mine.regions] == [region] and mine.adds_up
    assert mine.national.called == whole.regions[0].called


def test_rates_files_are_checked_before_anything_changes(ctx, engine, tmp_path):
    bad = tmp_path / "rates.toml"
    bad.write_text("delivery = 1.5\n[deferral]\napply = 0.1\n")
    with pytest.raises(CaseInputError, match="rates.toml: delivery: .*less than or equal to 1; deferral.grant: Field required"):
        load_rates(bad)
    bad.write_text("[fitness]\nZ = 1.0\n")
    day = drawn_campaign(ctx, tmp_path)
    before = len(audit.entries(engine))
    with pytest.raises(CaseInputError, match="fitness categories \\['Z'\\] are not the policy's"):
        simulate(day, CAMPAIGN, rates=load_rates(bad))
    assert len(audit.entries(engine)) == before


def test_the_commands_simulate_report_and_feed_calibration(ctx, engine, tmp_path, store_url):
    if not store_url.startswith("sqlite"):
        pytest.skip("one backend is enough for the command line")
    drawn_campaign(ctx, tmp_path)
    env = {**os.environ, "CALLUP_DATABASE_URL": store_url, "CALLUP_NOW": "2027-04-10T09:00:00Z"}

    def run(*args):  # noqa: ANN202
        return subprocess.run([sys.executable, "-m", "callup.cli", *args], env=env, capture_output=True, text=True, timeout=300,
                              cwd=tmp_path)

    bad = run("simulate", "responses", CAMPAIGN, "--rates", "missing.toml")
    assert bad.returncode == 2 and bad.stderr.startswith("error: --rates: missing.toml: cannot read rates file")
    simulated = run("simulate", "responses", CAMPAIGN, "--seed", "3", "--json")
    assert simulated.returncode == 0, simulated.stderr
    report = run("campaign", "outcomes", CAMPAIGN, "--json", "--outcomes", "outcomes.csv")
    assert report.returncode == 0, report.stderr
    data = json.loads(report.stdout)
    assert data["adds_up"] and data["national"]["called"] == json.loads(simulated.stdout)["people"]
    calibrated = run("plan", "calibrate", "outcomes.csv", "--json")
    assert calibrated.returncode == 0, calibrated.stderr
    assert run("campaign", "outcomes", "nope").stderr == "error: --name: no campaign named 'nope'\n"
    old_name = run("campaign", "report", CAMPAIGN, "--json")  # the name before `outcomes`: still answers, with a notice
    assert old_name.returncode == 0 and json.loads(old_name.stdout) == data
    assert old_name.stderr.startswith("note: `callup campaign report` is now `callup campaign outcomes`")
