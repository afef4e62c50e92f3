"""Planning from the live store on both backends: a store with known service records gives exactly the starting stocks
(conscripts by whole months served, contract soldiers), the conversion rate observed and the yield of its closed campaigns,
and `callup plan project/solve/montecarlo --from-store` start from them and say which parameters came from where."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import sys

import pytest
from hypothesis import given, settings, strategies as st
from typer.testing import CliRunner

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "cases"))

from callup.campaigns.service import close_campaign  # noqa: E402
from callup.cases import medical  # noqa: E402
from callup.examples import path as example  # noqa: E402
from callup.military_service import induction  # noqa: E402
from callup.military_service.units import import_units  # noqa: E402
from callup.reports.planning import store_figures  # noqa: E402
from callup.uow import UnitOfWork  # noqa: E402
from case_helpers import CAMPAIGN, as_role, called, drawn_campaign, on_day  # noqa: E402

ON = dt.date(2027, 8, 20)
#: Inducted on these days (six people); the second of 1 May signs a contract on 1 August.
STARTS = [dt.date(2027, 4, 10), dt.date(2027, 5, 1), dt.date(2027, 5, 1), dt.date(2027, 6, 15), dt.date(2027, 7, 1),
          dt.date(2027, 7, 1)]
SIGNED = dt.date(2027, 8, 1)


SMALL = """
name = "small"
start = "2025-01"
months = 24
[targets]
active = 60
by_month = 24
[conscripts]
term_months = 9            # the store's policy says 12: the store's term wins
initial = 900              # replaced by the store's serving conscripts
conversion_monthly = 0.5   # replaced by the rate observed in the store
[[campaigns]]
name = "spring"
month = 4
quota = 10
induction_yield = 0.9      # replaced by the store's closed campaigns' yield
[[campaigns]]
name = "autumn"
month = 10
quota = 10
induction_yield = 0.9
[contract]
initial = 500              # replaced: the store's contract soldiers
recruitment_monthly = 1
[officers]
initial = 30
[reserve]
initial = 200
"""


def _store(ctx, tmp_path):  # noqa: ANN001, ANN202
    day = drawn_campaign(ctx, tmp_path)  # 40 called, none over-called
    with UnitOfWork(day) as uow:
        import_units(uow, example("units/republic-of-example.csv"))
    records = []
    for (national_id, region), start in zip(called(day), STARTS, strict=False):
        with UnitOfWork(as_role(day, "officer", regions=region)) as uow:
            case = medical.open_examination(uow, CAMPAIGN, national_id)
        with UnitOfWork(as_role(day, "medical", regions=region)) as uow:
            medical.decide_fitness(uow, case.id, "A")
        with UnitOfWork(day) as uow:
            records.append(induction.induct(uow, CAMPAIGN, national_id, unit="4-LOG", start=start).record.id)
    with UnitOfWork(on_day(day, SIGNED)) as uow:
        induction.convert(uow, records[2], on=SIGNED)
    return on_day(day, ON)


def test_the_store_s_figures_on_a_day_are_exactly_its_service_records(ctx, engine, tmp_path):
    later = _store(ctx, tmp_path)
    with UnitOfWork(later, write=False) as uow:
        figures = store_figures(uow, ON)
    # served on 20 August: 4 months (from 10 April), 3 (1 May), 2 (15 June), 1 and 1 (1 July); the one who signed is a contract soldier
    assert figures.conscripts_by_month == [0, 2, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    assert (figures.term_months, figures.contract, figures.conversions) == (12, 1, 1)
    days = 132 + 111 + 92 + 66 + 50 + 50  # conscript service up to the day (the one who signed: up to 1 August)
    assert figures.conscript_months == pytest.approx(days / (365.2425 / 12), abs=1e-3)
    assert figures.conversion_monthly == pytest.approx(1 / figures.conscript_months)
    assert (figures.closed_campaigns, figures.induction_yield) == ([], None)  # the campaign is still open
    with UnitOfWork(later, write=False) as uow:
        before = store_figures(uow, dt.date(2027, 5, 15))  # two in their first month, one in their second
    assert before.conscripts_by_month[:2] == [2, 1] and (before.contract, before.conversions) == (0, 0)
    with UnitOfWork(later) as uow:
        close_campaign(uow, CAMPAIGN)
    with UnitOfWork(later, write=False) as uow:
        closed = store_figures(uow, ON)
    assert (closed.closed_campaigns, closed.called, closed.inducted, closed.induction_yield) == ([CAMPAIGN], 40, 6, 6 / 40)
    with UnitOfWork(as_role(later, "officer", regions=called(later)[0][1]), write=False) as uow:
        regional = store_figures(uow, ON)  # a regional officer's figures: their region's records only
    assert sum(regional.conscripts_by_month) + regional.contract < 6


def test_contracts_signed_in_the_last_month_of_the_term_are_the_term_end_rate_of_those_who_reached_it(ctx, engine, tmp_path):
    later = _store(ctx, tmp_path)
    d = dt.date
    with UnitOfWork(on_day(later, d(2028, 4, 6))) as uow:  # the second of 1 May signs in the last month of the term
        record = [r for r in induction.records_of(uow, called(later)[1][0]) if r.service_status == "conscript"][0]
        induction.convert(uow, record.id, on=d(2028, 4, 5))
    on = d(2028, 4, 20)
    with UnitOfWork(later, write=False) as uow:
        figures = store_figures(uow, on)
    # serving on 20 April 2028: 15 June (10 months served), 1 July twice (9); 10 April ended its term on 10 April
    assert figures.conscripts_by_month == [0] * 9 + [2, 1, 0] and figures.contract == 2
    # the last month of a term begins a month before its end: 10 March and 1 April 2028 were reached, both by people serving
    assert (figures.conversions, figures.conversions_at_term_end, figures.reached_term_end) == (1, 1, 2)
    assert figures.conversion_at_term_end == 0.5
    months = [(d(2028, 3, 10), d(2027, 4, 10)), (d(2028, 4, 1), d(2027, 5, 1)), (d(2027, 8, 1), d(2027, 5, 1)),
              (on, d(2027, 6, 15)), (on, d(2027, 7, 1)), (on, d(2027, 7, 1))]  # up to the last month, a contract, or the day
    assert figures.conscript_months == pytest.approx(sum((b - a).days for b, a in months) / (365.2425 / 12), abs=1e-3)


def test_plan_project_solve_and_montecarlo_from_the_store_start_from_its_figures_and_say_where_each_came_from(
        ctx, engine, tmp_path):
    from callup.cli import app

    later = _store(ctx, tmp_path)
    with UnitOfWork(later) as uow:
        close_campaign(uow, CAMPAIGN)
    scenario = str(tmp_path / "small.toml")
    pathlib.Path(scenario).write_text(SMALL, encoding="utf-8")
    runner = CliRunner()

    def run(*args: str) -> dict:
        result = runner.invoke(app, ["plan", *args, scenario, "--from-store", "--on", ON.isoformat(), "--no-plot", "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    projected = run("project", "--months", "12")
    first = projected["table"][0]
    assert (first["label"], first["conscripts"], first["contract"]) == ("2027-08", 5.0, 1.0)
    assert (first["officers"], first["reserve"]) == (30.0, 200.0)  # not in the store: the scenario file's
    sources = projected["sources"]
    assert sources["conscripts.initial"] == "store" and sources["officers"] == "scenario file"
    assert sources["campaigns[spring].induction_yield"] == f"store (6 inducted of 40 called in {CAMPAIGN})"
    assert sources["conscripts.conversion_monthly"]== "store (1 contract signed in 16 conscript-months)"
    carlo = run("montecarlo", "--runs", "50", "--months", "12")
    assert carlo["table"][0]["conscripts"] == 5.0 and carlo["montecarlo"]["runs"] == 50
    solved = run("solve")
    assert solved["induction_yield_from"] == "store"
    assert {lv["induction_yield"] for lv in solved["levers"] if lv["kind"] == "quota"} == {0.15}
    refused = runner.invoke(app, ["plan", "project", scenario, "--on", ON.isoformat()])
    assert str(refused.exception) == "--on is the day of the store's figures: give it with --from-store"


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=24), st.integers(min_value=1, max_value=24),
       st.integers(min_value=0, max_value=5_000), st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2040, 12, 31)))
def test_a_projection_from_store_figures_starts_with_exactly_the_store_s_stocks(by_month, term, contract, on):
    from callup.planning.model import project
    from callup.planning.scenario import parse_scenario
    from callup.planning.store import StoreFigures, apply_store

    scenario = parse_scenario({"name": "s", "start": "2025-01", "conscripts": {"initial": 7.0}, "contract": {"initial": 9.0}})
    figures = StoreFigures(on=on, term_months=term, conscripts_by_month=by_month, contract=contract, conversions=0,
                           conscript_months=0.0, closed_campaigns=[], called=0, inducted=0, induction_yield=None)
    applied, sources = apply_store(scenario, figures)
    start = project(applied, 1)
    assert start.stocks["conscripts"][0] == sum(by_month[:term]) and start.stocks["contract"][0] == contract
    assert list(start.by_service[0][:len(by_month)]) == [float(n) for n in by_month[:term]]
    assert 0 <= (applied.start_date() - on).days < 31  # the first projected month: the day's if the 1st, else the next
    assert sources["conscripts.conversion_monthly"].startswith("scenario file")


@settings(max_examples=30, deadline=None)
@given(st.floats(min_value=0.001, max_value=10))
def test_a_scaled_scenario_projects_every_count_times_the_factor_and_keeps_the_rates(factor):
    from callup.examples import path as example
    from callup.planning.model import project
    from callup.planning.scenario import load_scenario, scaled

    seed = load_scenario(example("scenarios/seed-36-months.toml"))
    small = scaled(seed, factor)
    assert small.conscripts.attrition_monthly == seed.conscripts.attrition_monthly
    assert small.campaigns[0].induction_yield == seed.campaigns[0].induction_yield
    assert small.targets.total == pytest.approx(seed.targets.total * factor)
    a, b = project(seed, 12), project(small, 12)
    for category in ("conscripts", "contract", "officers", "other", "reserve"):
        assert b.stocks[category] == pytest.approx(a.stocks[category] * factor, rel=1e-9)


def test_scale_must_be_a_positive_number():
    from callup.errors import InputError
    from callup.examples import path as example
    from callup.planning.scenario import load_scenario, scaled

    with pytest.raises(InputError, match="must be a positive number, got 0"):
        scaled(load_scenario(example("scenarios/seed-36-months.toml")), 0.0)
