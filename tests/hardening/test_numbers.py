"""Impossible numbers are refused in one line naming the option, and every shortfall is stated."""

from __future__ import annotations

import json

import pytest

from callup.errors import InputError
from callup.lottery.apportionment import MAX_OVER_CALL, parse_rate, shortfall
from callup.register.importer import import_register
from hardening_support import context_at, row, run_cli, write_csv

pytestmark = pytest.mark.db  # runs callup on a store

WINDOW = "2026-04-01:2026-07-15"


@pytest.fixture
def small_register(engine, store_url, tmp_path, monkeypatch):
    """A register of 30 people in R01-R03 (10 each), and CALLUP_NOW on the test's date."""
    rows = [row(f"S{i:03d}", region=f"R0{1 + i % 3}") for i in range(30)]
    import_register(context_at(store_url), write_csv(tmp_path / "people.csv", rows))
    monkeypatch.setenv("CALLUP_NOW", "2026-04-01T09:00:00Z")
    return store_url


@pytest.mark.parametrize("rate", ["1e999999", "inf", "-inf", "nan", "NaN", "-0.1", "１２", "0x10", "1_0", " 0.3", "", "1e-3",
                                  "0." + "1" * 200, "11"])
def test_an_impossible_over_call_is_refused_naming_the_option(small_register, rate):
    code, out, err, uncaught = run_cli(["campaign", "create", "c1", "--window", WINDOW, "--quota", "5", "--over-call", rate])
    assert uncaught is None and code == 2, err
    assert err.startswith("error: --over-call: ") and err.count("\n") == 1, err


def test_over_call_is_bounded():
    assert parse_rate("10") == MAX_OVER_CALL
    with pytest.raises(InputError, match="largest allowed, 10"):
        parse_rate("10.01")
    with pytest.raises(InputError, match="largest allowed, 1.5"):
        parse_rate("1.6", maximum="1.5")


@pytest.mark.parametrize("quota", ["１２", "-5", "1e3", "12.0", "99999999999999999999", "", "0x10"])
def test_a_quota_that_is_not_a_whole_number_in_ascii_digits_is_refused(small_register, quota):
    code, out, err, uncaught = run_cli(["campaign", "create", "c1", "--window", WINDOW, "--quota", quota])
    assert uncaught is None and code == 2, err
    assert err.startswith("error: --quota") and err.count("\n") == 1, err


def test_a_quota_beyond_the_pool_states_the_shortfall(small_register):
    code, out, err, uncaught = run_cli(["campaign", "create", "big", "--window", WINDOW, "--quota", "10000000", "--json"])
    assert uncaught is None and code == 0, err
    summary = json.loads(out)
    assert summary["shortfall"]["total"] == 10_000_000 - 30
    code, out, err, _ = run_cli(["campaign", "show", "big"])
    assert "shortfall" in out and "9,999,970" in out


def test_a_regional_quota_beyond_its_pool_states_its_shortfall(small_register, tmp_path):
    (tmp_path / "q.csv").write_text("region,quota\nR01,100000\nR02,3\nR03,2\n")
    code, out, err, uncaught = run_cli(["campaign", "create", "reg", "--window", WINDOW, "--quota", "100005",
                                        "--regional-quotas", str(tmp_path / "q.csv"), "--json"])
    assert uncaught is None and code == 0, err
    summary = json.loads(out)
    assert summary["shortfall"]["by_region"] == {"R01": 100000 - 10}
    assert summary["shortfall"]["total"] == 100005 - 15


@pytest.mark.parametrize(("body", "word"), [("region,quota\nR01,1\n", "less"), ("region,quota\nR01,6\nR02,6\n", "more")])
def test_regional_quotas_that_do_not_add_up_to_the_quota_are_refused(small_register, tmp_path, body, word):
    (tmp_path / "q.csv").write_text(body)
    code, out, err, uncaught = run_cli(["campaign", "create", "c1", "--window", WINDOW, "--quota", "10",
                                        "--regional-quotas", str(tmp_path / "q.csv")])
    assert uncaught is None and code == 2, err
    assert err.startswith("error: --regional-quotas: ") and word in err and err.count("\n") == 1, err
    code, out, err, _ = run_cli(["campaign", "list", "--json"])
    assert json.loads(out) == []  # nothing was created


def test_shortfall_arithmetic():
    assert shortfall(10, {"A": 4, "B": 4}, {"A": 5, "B": 5}).total == 2
    assert shortfall(10, {"A": 4, "B": 9}, {"A": 5, "B": 5}).by_region == {"A": 1}
    assert not shortfall(10, {"A": 5, "B": 5}, {"A": 5, "B": 5})


#: What some of them need besides their required options to reach the lookup (a decision flag, the role).
_TO_REACH_THE_LOOKUP = {("cases", "decide"): ["--grant"], ("cases", "decide-appeal"): ["--uphold"], ("cases", "resolve"): ["--excuse"]}
_ROLE = {("cases", "fitness"): "medical", ("cases", "findings"): "medical"}


def _commands_taking_a_row_number():
    import command_harness as harness

    for path, command in harness.discover():
        params = harness.params(command)
        if any(p.kind == "int" and not p.opts for p in params):
            options = [part for p in params if p.required and p.opts
                       for part in (p.opts[0], "2026-04-01" if p.opts[0] in ("--start", "--on") else "x")]
            yield pytest.param(path, options + _TO_REACH_THE_LOOKUP.get(path, []), id=" ".join(path))


@pytest.mark.parametrize(("path", "options"), list(_commands_taking_a_row_number()))
def test_a_number_too_large_for_any_row_is_not_found(small_register, path, options, monkeypatch):
    """PostgreSQL's id columns are 32-bit: 2**31 reached the database as 'integer out of range' (exit 70)."""
    monkeypatch.setenv("CALLUP_ROLE", _ROLE.get(path, "administrator"))
    monkeypatch.setenv("CALLUP_REGIONS", "R01")
    for number in (2**31, 2**63 - 1):
        code, out, err, uncaught = run_cli([*path, str(number), *options])
        assert uncaught is None and code == 3, err
        assert err.startswith("error: ") and err.count("\n") == 1 and str(number) in err, err
