"""Induction, service records and the deployment guardrail on both backends: what stops an induction, the planned end,
refusals and overrides recorded even though nothing else changes, the guardrail report, discharge."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings, strategies as st

from callup import audit
from callup.cases import appeals, civilian, deferrals, medical
from callup.cases.decisions import decide_application
from callup.cases.errors import CaseStateError
from callup.cases.machines import NEW
from callup.examples import path as example
from callup.military_service import guardrail, induction
from callup.military_service.machines import SERVICE
from callup.military_service.units import import_units
from callup.register.eligibility import eligible_pool_query
from callup.uow import UnitOfWork
from callup_test_support import NORTHLAND_POLICY
from case_helpers import CAMPAIGN, as_role, called, drawn_campaign

START = dt.date(2027, 5, 1)


def _ready(day, national_id, region, category="A"):  # noqa: ANN001, ANN202
    with UnitOfWork(as_role(day, "officer", regions=region)) as uow:
        case = medical.open_examination(uow, CAMPAIGN, national_id)
    with UnitOfWork(as_role(day, "medical", regions=region)) as uow:
        return medical.decide_fitness(uow, case.id, category).case


def _setup(ctx, tmp_path):  # noqa: ANN001, ANN202
    day = drawn_campaign(ctx, tmp_path)
    with UnitOfWork(day) as uow:
        import_units(uow, example("units/republic-of-example.csv"))
    return day


def test_a_fit_person_is_inducted_with_the_policy_s_term_and_leaves_every_later_pool(ctx, engine, tmp_path):
    day = _setup(ctx, tmp_path)
    national_id, region = called(day)[0]
    _ready(day, national_id, region)
    officer = as_role(day, "officer", name="induction-officer", regions=region)
    with UnitOfWork(officer) as uow:
        done = induction.induct(uow, CAMPAIGN, national_id, unit="3-SIG", start=START)
    record = done.record
    assert (record.service_status, record.state, record.unit, record.start, record.planned_end, record.term_months) == (
        "conscript", "serving", "3-SIG", START, dt.date(2028, 5, 1), 12)
    assert [(e.actor, e.details["step"], e.details["unit"]) for e in audit.entries(engine, action="service.step")] == [
        ("induction-officer", "induct", "3-SIG")]
    version = day.policy().in_force(dt.date(2028, 10, 1))
    with engine.connect() as conn:
        assert national_id not in {r.national_id for r in conn.execute(eligible_pool_query(version, dt.date(2028, 10, 1)))}
    with UnitOfWork(officer) as uow:
        with pytest.raises(CaseStateError, match="already serving"):
            induction.induct(uow, CAMPAIGN, national_id, unit="3-SIG", start=START)


def test_induction_waits_for_the_board_appeals_and_applications_and_never_follows_civilian_service(ctx, engine, tmp_path):
    day = _setup(ctx, tmp_path)
    people = called(day)
    (unexamined, r0), (appealing, r1), (applying, r2), (objector, r3) = people[:4]
    officer, judge = as_role(day, "administrator", name="officer-1"), as_role(day, "administrator", name="judge")
    with UnitOfWork(officer) as uow:
        with pytest.raises(CaseStateError, match="no inductable category from the medical board"):
            induction.induct(uow, CAMPAIGN, unexamined, unit="3-SIG", start=START)
    fit = _ready(day, appealing, r1, "B")
    with UnitOfWork(as_role(day, "citizen", person_id=appealing)) as uow:
        appeal = appeals.lodge_appeal(uow, fit.id, reason="I am not fit")
    with UnitOfWork(officer) as uow:
        with pytest.raises(CaseStateError, match="appeal lodged: induction waits until it is decided"):
            induction.induct(uow, CAMPAIGN, appealing, unit="3-SIG", start=START)
    with UnitOfWork(judge) as uow:
        appeals.decide_appeal(uow, appeal.id, "uphold", reason="the board's finding stands")
    with UnitOfWork(officer) as uow:
        assert induction.induct(uow, CAMPAIGN, appealing, unit="3-SIG", start=START).record.state == "serving"
    _ready(day, applying, r2)
    with UnitOfWork(officer) as uow:
        waiting = deferrals.apply_for_deferral(uow, CAMPAIGN, applying, "family_care", evidence="C-1").case
        with pytest.raises(CaseStateError, match=f"case {waiting.id} \\(deferral\\) waits for a decision"):
            induction.induct(uow, CAMPAIGN, applying, unit="3-SIG", start=START)
    _ready(day, objector, r3)
    with UnitOfWork(officer) as uow:
        case = civilian.apply_for_civilian_service(uow, CAMPAIGN, objector, statement="conscience")
    with UnitOfWork(judge) as uow:
        decide_application(uow, case.id, "grant", reason="sincere")
    with UnitOfWork(officer) as uow:
        with pytest.raises(CaseStateError, match="granted alternative civilian service: never inducted"):
            induction.induct(uow, CAMPAIGN, objector, unit="3-SIG", start=START)


def test_the_guardrail_refuses_forbidden_zones_records_every_attempt_and_allows_overrides_only_where_the_policy_does(
        ctx, engine, tmp_path):
    day = _setup(ctx, tmp_path)
    national_id, region = called(day)[0]
    _ready(day, national_id, region)
    officer = as_role(day, "officer", name="officer-a", regions=region)
    with UnitOfWork(officer) as uow:  # refused: the attempt commits, nothing else does
        refused = induction.induct(uow, CAMPAIGN, national_id, unit="8-MECH", start=START)
    assert refused.record is None and refused.refused.problem == "the policy forbids assigning a conscript to a unit in a combat zone"
    with UnitOfWork(officer) as uow:  # no override where the policy allows none, whoever is named
        again = induction.induct(uow, CAMPAIGN, national_id, unit="8-MECH", start=START, second_officer="officer-b",
                                 override_reason="needed at the front")
        assert again.record is None and "allows no override there" in again.refused.problem
        record = induction.induct(uow, CAMPAIGN, national_id, unit="1-INF-TRG", start=START).record
    with UnitOfWork(as_role(day, "officer", name="officer-b", regions=region)) as uow:
        with pytest.raises(CaseStateError, match="allows no override in a combat zone"):
            guardrail.approve_override(uow, CAMPAIGN, national_id, unit="8-MECH", reason="needed at the front")
    northland = dataclasses.replace(officer, policy_path=str(NORTHLAND_POLICY))  # overseas: overridable with a second officer
    second = dataclasses.replace(as_role(day, "officer", name="officer-b", regions=region), policy_path=str(NORTHLAND_POLICY))
    with UnitOfWork(northland) as uow:
        alone = induction.transfer(uow, record.id, unit="10-OVS", reason="training abroad")
        myself = induction.transfer(uow, record.id, unit="10-OVS", reason="training abroad", second_officer="officer-a",
                                    override_reason="exercise")
        unapproved = induction.transfer(uow, record.id, unit="10-OVS", reason="training abroad", second_officer="officer-b",
                                        override_reason="joint exercise")
    with UnitOfWork(second) as uow:
        guardrail.approve_override(uow, CAMPAIGN, national_id, unit="10-OVS", reason="joint exercise, volunteers only")
    with UnitOfWork(northland) as uow:
        moved = induction.transfer(uow, record.id, unit="10-OVS", reason="training abroad", second_officer="officer-b",
                                   override_reason="joint exercise, volunteers only")
        used = induction.transfer(uow, record.id, unit="10-OVS", reason="again", second_officer="officer-b",
                                  override_reason="once more")
    assert alone.refused and "second officer" not in alone.refused.problem
    assert "a second officer, named, other than you" in myself.refused.problem
    assert "has not approved this override" in unapproved.refused.problem
    assert moved.refused is None and moved.overridden and moved.record.unit == "10-OVS"
    assert "has not approved this override" in used.refused.problem  # one approval, one override
    with UnitOfWork(as_role(day, "auditor")) as uow:
        report = guardrail.report(uow)
    assert [(a.action, a.unit, a.zone, a.outcome, a.actor, a.second_officer) for a in report] == [
        ("induct", "8-MECH", "combat", "refused", "officer-a", None),
        ("induct", "8-MECH", "combat", "refused", "officer-a", "officer-b"),
        ("transfer", "10-OVS", "overseas", "refused", "officer-a", None),
        ("transfer", "10-OVS", "overseas", "refused", "officer-a", "officer-a"),
        ("transfer", "10-OVS", "overseas", "refused", "officer-a", "officer-b"),
        ("approve", "10-OVS", "overseas", "approval", "officer-b", None),
        ("transfer", "10-OVS", "overseas", "overridden", "officer-a", "officer-b"),
        ("transfer", "10-OVS", "overseas", "refused", "officer-a", "officer-b"),
    ]
    assert len(audit.entries(engine, action="deployment.attempt")) == 8
    other = next(r for _, r in called(day) if r != region)
    with UnitOfWork(as_role(day, "officer", regions=other)) as uow:
        assert guardrail.report(uow) == []  # another region's officer sees none of them


def test_discharge_at_the_end_of_term_is_a_batch_that_runs_once_and_early_discharge_needs_a_reason(ctx, engine, tmp_path):
    day = _setup(ctx, tmp_path)
    (first, r0), (second, r1) = called(day)[:2]
    records = []
    for national_id, region in ((first, r0), (second, r1)):
        _ready(day, national_id, region)
        with UnitOfWork(day) as uow:
            records.append(induction.induct(uow, CAMPAIGN, national_id, unit="4-LOG", start=START).record.id)
    with UnitOfWork(day) as uow:
        with pytest.raises(Exception, match="needs a reason"):
            induction.discharge_early(uow, records[1], on=dt.date(2027, 9, 1), reason=" ")
        with pytest.raises(Exception, match="between the start"):
            induction.discharge_early(uow, records[1], on=dt.date(2028, 6, 1), reason="ill")
        early = induction.discharge_early(uow, records[1], on=dt.date(2027, 9, 1), reason="hardship: sole carer")
        assert (early.state, early.ended_on) == ("discharged_early", dt.date(2027, 9, 1))
        assert induction.discharge_due(uow, dt.date(2028, 4, 30)) == []
        assert induction.discharge_due(uow, dt.date(2028, 5, 1)) == [records[0]]
        assert induction.discharge_due(uow, dt.date(2028, 5, 1)) == []
        done = induction.service_record(uow, records[0])
        for record, state in ((records[0], "discharged"), (records[1], "discharged_early")):  # final: nothing follows
            with pytest.raises(CaseStateError, match=f"service record {record} is {state}: cannot transfer"):
                induction.transfer(uow, record, unit="3-SIG", reason="r")
            with pytest.raises(CaseStateError, match=f"service record {record} is {state}: cannot discharge_early"):
                induction.discharge_early(uow, record, on=dt.date(2027, 9, 2), reason="r")
    assert (done.state, done.ended_on, done.end_reason) == ("discharged", dt.date(2028, 5, 1), "end of term")


#: A service record's life as it is meant to be, written out here rather than read from the machine.
SERVICE_EXPECTED = {(NEW, "induct"): "serving", (NEW, "sign"): "serving", ("serving", "transfer"): "serving",
                    ("serving", "convert"): "converted", ("serving", "discharge"): "discharged",
                    ("serving", "discharge_early"): "discharged_early"}


def test_the_service_record_machine_has_exactly_the_expected_transitions_and_final_states():
    assert dict(SERVICE.table) == SERVICE_EXPECTED
    assert set(SERVICE.final) == {"discharged", "discharged_early", "converted"}


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(["induct", "sign", "transfer", "convert", "discharge", "discharge_early", "grant", "open"]),
                max_size=8))
def test_the_service_record_machine_allows_exactly_the_expected_steps(steps):
    state = NEW
    for step in steps:
        if (state, step) in SERVICE_EXPECTED:
            reached = SERVICE.step(state, step, subject="service record 1")
            assert reached == SERVICE_EXPECTED[(state, step)]
            state = reached
        else:
            with pytest.raises(CaseStateError, match=f"service record 1 is {state}: cannot {step}"):
                SERVICE.step(state, step, subject="service record 1")


def test_a_refused_induction_on_the_command_line_is_one_line_naming_the_problem_and_is_recorded(ctx, engine, tmp_path, store_url):
    if not store_url.startswith("sqlite"):
        pytest.skip("one backend is enough for the command line")
    day = _setup(ctx, tmp_path)
    national_id, region = called(day)[0]
    _ready(day, national_id, region)
    env = {**os.environ, "CALLUP_DATABASE_URL": store_url, "CALLUP_NOW": "2027-04-10T09:00:00Z"}
    run = lambda *a: subprocess.run([sys.executable, "-m", "callup.cli", *a], env=env, capture_output=True, text=True, timeout=120)  # noqa: E731
    result = run("service", "induct", CAMPAIGN, national_id, "--unit", "9-ART", "--start", "2027-05-01")
    assert result.returncode == 5 and result.stdout == ""
    assert result.stderr == "error: --unit: 9-ART: the policy forbids assigning a conscript to a unit in a combat zone (attempt 1 recorded)\n"
    assert national_id not in result.stderr
    report = json.loads(run("service", "guardrail-report", "--json").stdout)
    assert [(a["unit"], a["outcome"]) for a in report] == [("9-ART", "refused")]


def _service_rows(engine):  # noqa: ANN001, ANN202
    """Each service record with its history and the call's and register's marks, as a person's record shows them
    (no ids or times)."""
    from sqlalchemy import select, text

    from callup.military_service.tables import ServiceRecord, ServiceStep

    records, steps = ServiceRecord.__table__, ServiceStep.__table__
    with engine.connect() as conn:
        history = {r.record_id: (r.seq, r.from_state, r.step, r.to_state, r.unit, r.actor) for r in conn.execute(select(steps))}
        rows = sorted((r.national_id, r.region, r.service_status, r.state, r.unit, r.start, r.planned_end, r.term_months,
                       r.inducted_by, history[r.id]) for r in conn.execute(select(records)))
        marked = conn.execute(text("SELECT COUNT(*) FROM campaign_calls WHERE inducted_at IS NOT NULL")).scalar_one()
        held = sorted(conn.execute(text("SELECT national_id FROM pool_holds WHERE source LIKE 'induction %'")).scalars())
    return rows, marked, held


def test_a_day_s_inductions_on_one_list_are_those_made_one_by_one(ctx, engine, twin, tmp_path):
    """A day's list is inducted in a few statements: each record, its first step, its audit entry, the call's mark
    and the register's hold are what inducting the person alone gives, and a unit the guardrail refuses refuses
    that person only."""
    from case_helpers import same_randomness

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    days = [_setup(same_randomness(ctx), tmp_path / "a"), _setup(same_randomness(twin), tmp_path / "b")]
    people = called(days[0])[:4]
    units = ["3-SIG", "4-LOG", "8-MECH", "1-INF-TRG"]  # 8-MECH is in a combat zone: refused
    for day in days:
        for national_id, region in people:
            _ready(day, national_id, region)
    with UnitOfWork(as_role(days[0], "officer", name="induction-officer")) as uow:
        together = induction.induct_all(uow, CAMPAIGN, [(n, u) for (n, _), u in zip(people, units, strict=True)], start=START)
    alone = []
    for (national_id, _), unit in zip(people, units, strict=True):
        with UnitOfWork(as_role(days[1], "officer", name="induction-officer")) as uow:
            alone.append(induction.induct(uow, CAMPAIGN, national_id, unit=unit, start=START))
    assert [a.record is None for a in together] == [a.record is None for a in alone] == [False, False, True, False]
    assert together[2].refused.zone == "combat" and [a.record.unit for a in together if a.record] == ["3-SIG", "4-LOG", "1-INF-TRG"]
    assert _service_rows(engine) == _service_rows(days[1].engine()) and len(_service_rows(engine)[0]) == 3

    def steps(e):  # noqa: ANN001, ANN202
        return [(x.target, x.details["step"], x.details["unit"]) for x in audit.entries(e, action="service.step")]
    assert steps(engine) == steps(days[1].engine())


def test_a_day_s_inductions_go_all_or_none(ctx, engine, tmp_path):
    day = _setup(ctx, tmp_path)
    (first, region), (second, _) = called(day)[:2]
    _ready(day, first, region)  # the second has not been examined
    with UnitOfWork(as_role(day, "officer")) as uow, pytest.raises(CaseStateError, match="no inductable category"):
        induction.induct_all(uow, CAMPAIGN, [(first, "3-SIG"), (second, "3-SIG")], start=START)
    assert _service_rows(engine) == ([], 0, [])
