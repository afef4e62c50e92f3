"""Policy as code: effective-dated versions, validation with clear messages, the CLI."""

from __future__ import annotations

import datetime as dt
import json
import pathlib

import pytest
from hypothesis import given, strategies as st
from typer.testing import CliRunner

from callup.policy import load_policy
from callup.policy.errors import PolicyError, PolicyNotInForce
from callup_test_support import EXAMPLE_POLICY, NORTHLAND_POLICY


def test_upper_age_limit_rises_from_27_to_30_on_the_amendment_date(policy):
    assert policy.in_force(dt.date(2023, 12, 31)).conscription.until_age == 27
    assert policy.in_force(dt.date(2024, 1, 1)).conscription.until_age == 30
    assert policy.in_force(dt.date(2024, 1, 1)).version == "2024.1"


def test_a_later_version_keeps_every_rule_it_does_not_change(policy):
    old, new = policy.versions
    assert new.service == old.service
    assert new.fitness_categories == old.fitness_categories
    assert new.conscription.from_age == old.conscription.from_age == 18
    assert new.summary != old.summary


def test_example_policies_differ_in_substance():
    example, northland = load_policy(EXAMPLE_POLICY), load_policy(NORTHLAND_POLICY)
    on = dt.date(2026, 6, 1)
    a, b = example.in_force(on), northland.in_force(on)
    assert a.registration.sexes == ["M"] and set(b.registration.sexes) == {"M", "F"}
    assert not a.conscription.volunteers_first and b.conscription.volunteers_first
    assert b.registration.in_year_of_birthday
    assert b.service.term_months < a.service.term_months
    assert a.deployment[0].forbidden_zones == ["combat"]
    assert a.contract.min_months_served < b.contract.min_months_served
    assert set(a.contract.fitness_categories) == {"A", "B"} and b.contract.fitness_categories == ["1"]
    contract_zones = {p: next(r for r in v.deployment if r.status == "contract") for p, v in (("a", a), ("b", b))}
    assert contract_zones["a"].forbidden_zones == [] and contract_zones["b"].overridable_zones == ["combat"]


def test_contract_conditions_are_effective_dated_and_a_later_version_changes_only_what_it_states():
    northland = load_policy(NORTHLAND_POLICY)
    before, after = northland.in_force(dt.date(2024, 12, 31)).contract, northland.in_force(dt.date(2025, 1, 1)).contract
    assert (before.min_months_served, after.min_months_served) == (6, 4)
    assert (before.fitness_categories, before.until_age, before.term_months) == (after.fitness_categories, after.until_age,
                                                                                 after.term_months)


def test_scenario_rules_of_the_example_policy(policy):
    rules = policy.in_force(dt.date(2026, 4, 1))
    spring = rules.campaign("spring")
    assert spring.dates(2026) == (dt.date(2026, 4, 1), dt.date(2026, 7, 15))
    assert rules.service.term_months == 12
    assert set(rules.notices.channels) == {"post", "portal"}
    assert {c.code for c in rules.fitness_categories if c.inductable} == {"A", "B"}


def test_no_version_in_force_before_the_first_one(policy):
    with pytest.raises(PolicyNotInForce, match="no version in force on 2000-01-01"):
        policy.in_force(dt.date(2000, 1, 1))


@given(st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2100, 1, 1)))
def test_the_version_in_force_is_the_latest_that_has_taken_effect(policy, day):
    version = policy.in_force(day)
    assert version.effective_from <= day
    assert all(v.effective_from > day or v.effective_from <= version.effective_from for v in policy.versions)


def _write(tmp_path: pathlib.Path, text: str) -> pathlib.Path:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("until_age = 27 ", "until_age = 17 "), "conscription: Value error, until_age (17) must be greater than from_age (18)"),
        (("from_age = 18", "from_age = -1"), "conscription.from_age: Input should be greater than or equal to 14"),
        (('start = "04-01"', 'start = "02-30"'), "'02-30' is not a calendar day"),
        (("term_months = 12", "term_months = twelve"), "not valid TOML"),
        (("[versions.service]", "[versions.servise]"), "servise: Extra inputs are not permitted"),
        (('effective_from = 2024-01-01', 'effective_from = 2018-01-01'), "effective_from dates must be strictly increasing"),
        (('fitness_categories = ["A", "B"]', 'fitness_categories = ["A", "Z"]'),
         "contract.fitness_categories: ['Z'] are not codes of fitness_categories"),
        (("min_months_served = 3 ", "min_months_served = -1 "), "contract.min_months_served: Input should be greater than or equal to 0"),
    ],
)
def test_a_bad_policy_file_is_refused_naming_the_file_key_and_problem(tmp_path, change, expected):
    text = EXAMPLE_POLICY.read_text(encoding="utf-8")
    assert change[0] in text
    path = _write(tmp_path, text.replace(change[0], change[1], 1))
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert str(path) in str(caught.value)
    assert expected in str(caught.value)


def test_a_later_version_must_state_its_own_effective_date(tmp_path):
    text = EXAMPLE_POLICY.read_text(encoding="utf-8").replace("effective_from = 2024-01-01\n", "")
    with pytest.raises(PolicyError, match=r"versions\[1\] \(2024.1\).effective_from"):
        load_policy(_write(tmp_path, text))


def test_policy_check_and_show_from_the_command_line(tmp_path):
    from callup.cli import app

    runner = CliRunner()
    checked = runner.invoke(app, ["policy", "check", str(EXAMPLE_POLICY), "--json"])
    assert checked.exit_code == 0, checked.output
    assert [v["version"] for v in json.loads(checked.stdout)["versions"]] == ["2019.1", "2024.1"]
    shown = runner.invoke(app, ["policy", "show", str(EXAMPLE_POLICY), "--on", "2023-06-01", "--json"])
    assert json.loads(shown.stdout)["conscription"]["until_age"] == 27
    human = runner.invoke(app, ["policy", "show", str(EXAMPLE_POLICY), "--on", "2026-06-01"])
    assert "18th to the 30th birthday" in human.stdout


def test_policy_show_without_a_date_shows_the_rules_in_force_on_the_contexts_today(monkeypatch):
    """No --on: the rules of CALLUP_NOW's day, not of the machine's calendar (a rehearsal of 2023 sees 2023's law)."""
    from callup.cli import app

    monkeypatch.setenv("CALLUP_NOW", "2023-06-01T09:00:00Z")
    shown = CliRunner().invoke(app, ["policy", "show", str(EXAMPLE_POLICY), "--json"])
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.stdout)
    assert (data["on"], data["conscription"]["until_age"]) == ("2023-06-01", 27)
