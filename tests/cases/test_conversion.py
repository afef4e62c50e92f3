"""Conversion to contract service on both backends: the policy's conditions on the day of signing, the conscript record
ended and the contract record opened the same day (audited), the guardrail following the contract status, the command."""

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
from callup.cases import medical
from callup.cases.errors import CaseInputError, CaseStateError
from callup.examples import path as example
from callup.military_service import induction
from callup.military_service.units import import_units
from callup.policy.months import add_months
from callup.uow import UnitOfWork
from callup_test_support import EXAMPLE_POLICY, NORTHLAND_POLICY
from case_helpers import CAMPAIGN, as_role, called, drawn_campaign, on_day

START = dt.date(2027, 5, 1)


def _serving(ctx, tmp_path, count=1, category="A"):  # noqa: ANN001, ANN202
    """`count` called people found fit and inducted on START into a support unit: [(record id, national id, region)]."""
    day = drawn_campaign(ctx, tmp_path)
    with UnitOfWork(day) as uow:
        import_units(uow, example("units/republic-of-example.csv"))
    out = []
    for national_id, region in called(day)[:count]:
        with UnitOfWork(as_role(day, "officer", regions=region)) as uow:
            case = medical.open_examination(uow, CAMPAIGN, national_id)
        with UnitOfWork(as_role(day, "medical", regions=region)) as uow:
            medical.decide_fitness(uow, case.id, category)
        with UnitOfWork(day) as uow:
            out.append((induction.induct(uow, CAMPAIGN, national_id, unit="4-LOG", start=START).record.id, national_id, region))
    return day, out


def test_a_conscript_who_meets_the_conditions_signs_and_serves_on_under_contract_from_the_same_day(ctx, engine, tmp_path):
    day, [(record, national_id, region)] = _serving(ctx, tmp_path)
    signing = dt.date(2027, 8, 1)  # three whole months: the Republic's minimum
    officer = as_role(on_day(day, dt.date(2027, 8, 3)), "officer", name="contract-officer", regions=region)
    with UnitOfWork(officer) as uow:
        done = induction.convert(uow, record, on=signing, reason="contract K-17")
    c, k = done.conscript, done.contract
    assert (c.id, c.state, c.service_status, c.ended_on, c.end_reason) == (record, "converted", "conscript", signing,
                                                                           "signed a contract: contract K-17")
    assert (k.service_status, k.state, k.unit, k.start, k.planned_end, k.term_months, k.converted_from) == (
        "contract", "serving", "4-LOG", signing, dt.date(2029, 8, 1), 24, record)
    assert done.conditions == ["3 whole months served (the policy asks at least 3)",
                               "fitness category A (the policy asks A or B)", done.conditions[2]]
    steps = [(e.actor, e.details["record"], e.details["step"], e.details["to_state"]) for e in audit.entries(engine, action="service.step")]
    assert steps[-2:] == [("contract-officer", record, "convert", "converted"), ("contract-officer", k.id, "sign", "serving")]
    assert [e.reason for e in audit.entries(engine, action="person.read")][-1] == "age condition of a contract"
    with UnitOfWork(officer) as uow:
        assert [(r.service_status, r.state) for r in induction.records_of(uow, national_id)] == [
            ("contract", "serving"), ("conscript", "converted")]
        with pytest.raises(CaseStateError, match=f"service record {record} is converted: cannot convert"):
            induction.convert(uow, record, on=signing)
        with pytest.raises(CaseStateError, match=f"service record {k.id} is contract service: only a conscript signs"):
            induction.convert(uow, k.id, on=signing)
        assert induction.discharge_due(uow, dt.date(2028, 5, 1)) == []  # the conscript term no longer ends anything
        assert induction.discharge_due(uow, dt.date(2029, 8, 1)) == [k.id]


def test_a_conversion_is_refused_naming_every_condition_not_met_and_changes_nothing(ctx, engine, tmp_path):
    strict = tmp_path / "strict.toml"
    strict.write_text(EXAMPLE_POLICY.read_text(encoding="utf-8").replace('fitness_categories = ["A", "B"]', 'fitness_categories = ["A"]')
                      .replace("until_age = 40 ", "until_age = 18 "), encoding="utf-8")
    day, [(record, _, region)] = _serving(ctx, tmp_path, category="B")
    later = on_day(day, dt.date(2027, 7, 20))
    officer = dataclasses.replace(as_role(later, "officer", regions=region), policy_path=str(strict))
    with UnitOfWork(officer) as uow:
        with pytest.raises(CaseStateError) as refused:
            induction.convert(uow, record)
    assert str(refused.value) == (
        f"service record {record} does not meet the policy's conditions for a contract on 2027-07-20: 2 whole months served "
        f"(the policy asks at least 3); fitness category B (the policy asks A); aged {str(refused.value).split('aged ')[1].split()[0]} "
        "(the policy asks under 18)")
    with UnitOfWork(as_role(later, "officer", regions=region)) as uow:
        with pytest.raises(CaseInputError, match="after today"):
            induction.convert(uow, record, on=dt.date(2027, 8, 1))
        with pytest.raises(CaseInputError, match="during the conscript's term"):
            induction.convert(uow, record, on=dt.date(2027, 4, 30))
        with pytest.raises(CaseStateError, match=r"2027-07-20: 2 whole months served \(the policy asks at least 3\)$"):
            induction.convert(uow, record)  # the Republic allows category B and age under 40: only the months are short
        assert induction.service_record(uow, record).state == "serving"
    with UnitOfWork(as_role(later, "medical", regions=region)) as uow:
        with pytest.raises(Exception, match="converting a conscript to contract service"):
            induction.convert(uow, record, on=dt.date(2027, 7, 1))
    assert not [e for e in audit.entries(engine, action="service.step") if e.details["step"] in ("convert", "sign")]


def test_after_signing_the_guardrail_applies_the_contract_rules_of_the_policy(ctx, engine, tmp_path):
    day, [(conscript, _, r0), (soldier, national_id, r1)] = _serving(ctx, tmp_path, count=2)
    later = on_day(day, dt.date(2027, 11, 2))
    with UnitOfWork(later) as uow:
        contract = induction.convert(uow, soldier, on=dt.date(2027, 11, 1)).contract.id
        refused = induction.transfer(uow, conscript, unit="8-MECH", reason="to the front")
        moved = induction.transfer(uow, contract, unit="8-MECH", reason="to the front")
    assert refused.refused.problem == "the policy forbids assigning a conscript to a unit in a combat zone"
    assert moved.refused is None and moved.record.unit == "8-MECH"  # the Republic forbids contract soldiers no zone
    northland = dataclasses.replace(as_role(later, "officer", name="officer-a", regions=r1), policy_path=str(NORTHLAND_POLICY))
    with UnitOfWork(northland) as uow:  # Northland: a contract soldier reaches a combat zone only by override
        back = induction.transfer(uow, contract, unit="9-ART", reason="rotation")
    assert back.refused.problem == "the policy forbids assigning a contract to a unit in a combat zone"
    second = dataclasses.replace(as_role(later, "officer", name="officer-b", regions=r1), policy_path=str(NORTHLAND_POLICY))
    from callup.military_service import guardrail

    with UnitOfWork(second) as uow:
        approval = guardrail.approve_override(uow, CAMPAIGN, national_id, unit="9-ART", reason="volunteer for rotation")
    assert approval.attempt is not None
    with UnitOfWork(northland) as uow:
        overridden = induction.transfer(uow, contract, unit="9-ART", reason="rotation", second_officer="officer-b",
                                        override_reason="volunteer for rotation")
    assert overridden.overridden and overridden.record.unit == "9-ART"


def test_the_campaign_counts_a_converted_conscript_as_one_induction(ctx, engine, tmp_path):
    from sqlalchemy import select

    from callup.campaigns.tables import Campaign
    from callup.reports.casework import inducted_by_region

    day, [(record, _, region)] = _serving(ctx, tmp_path)
    with UnitOfWork(on_day(day, dt.date(2027, 9, 1))) as uow:
        induction.convert(uow, record)
        campaign_id = uow.execute(select(Campaign.__table__.c.id).where(Campaign.__table__.c.name == CAMPAIGN)).scalar_one()
        assert inducted_by_region(uow, campaign_id) == {region: 1}


@settings(max_examples=60, deadline=None)
@given(st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31)), st.integers(min_value=0, max_value=40),
       st.integers(min_value=0, max_value=40))
def test_months_served_counts_whole_months_completed_on_the_same_day_of_a_later_month(start, months, extra_days):
    on = add_months(start, months) + dt.timedelta(days=extra_days)
    served = induction.months_served(start, on)
    assert add_months(start, served) <= on < add_months(start, served + 1)
    assert served >= months


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31)), st.integers(min_value=0, max_value=800),
       st.integers(min_value=0, max_value=24), st.sampled_from(["A", "B", "V", None]), st.integers(min_value=17, max_value=45),
       st.integers(min_value=18, max_value=45))
def test_a_conscript_may_sign_exactly_when_every_condition_of_the_policy_holds(start, days, minimum, category, age, limit):
    from callup.policy.model import ContractService

    rules = ContractService(min_months_served=minimum, fitness_categories=["A", "B"], until_age=limit, term_months=24)
    on = start + dt.timedelta(days=days)
    conditions = induction.evaluate_conditions(rules, start=start, on=on, category=category, age=age)
    # the rule written out independently: the minimum'th monthly anniversary of the start has come
    months_ok = add_months(start, minimum) <= on
    assert [c.met for c in conditions] == [months_ok, category in ("A", "B"), age < limit]
    unmet = [c.words() for c in conditions if not c.met]
    assert all(("whole months served" in w) or ("fitness category" in w) or ("aged" in w) for w in unmet)


def test_a_refused_conversion_on_the_command_line_is_one_line_naming_the_conditions(ctx, engine, tmp_path, store_url):
    if not store_url.startswith("sqlite"):
        pytest.skip("one backend is enough for the command line")
    day, [(record, national_id, _)] = _serving(ctx, tmp_path)
    env = {**os.environ, "CALLUP_DATABASE_URL": store_url, "CALLUP_NOW": "2027-06-10T09:00:00Z"}
    run = lambda *a: subprocess.run([sys.executable, "-m", "callup.cli", *a], env=env, capture_output=True, text=True, timeout=120)  # noqa: E731
    result = run("service", "convert", str(record))
    assert result.returncode != 0 and result.stdout == ""
    assert result.stderr.startswith(f"error: service record {record} does not meet the policy's conditions for a contract on "
                                    "2027-06-10: 1 whole months served (the policy asks at least 3)")
    assert result.stderr.count("\n") == 1 and national_id not in result.stderr
    env["CALLUP_NOW"] = "2027-08-10T09:00:00Z"
    done = json.loads(run("service", "convert", str(record), "--reason", "K-1", "--json").stdout)
    assert (done["conscript"]["state"], done["contract"]["service_status"], done["contract"]["start"]) == (
        "converted", "contract", "2027-08-10")
