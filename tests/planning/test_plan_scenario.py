"""Scenario files: bad values are rejected with a message naming the file, the key and the problem."""

from __future__ import annotations

import pytest

from callup.errors import InputError
from callup.planning.scenario import load_scenario

GOOD = """
name = "t"
start = "2025-01"
[conscripts]
term_months = 12
[contract]
initial = 1000
attrition_monthly = 0.02
"""


def write(tmp_path, text):
    path = tmp_path / "x.toml"
    path.write_text(text)
    return path


def test_example_scenario_loads(example_path):
    s = load_scenario(example_path)
    assert [c.quota for c in s.campaigns] == [160_000, 160_000]
    assert s.conscripts.term_months == 12
    assert (s.targets.total, s.targets.active, s.targets.by_month) == (2_390_000, 1_500_000, 36)


def test_negative_rate_is_rejected_naming_file_key_and_value(tmp_path):
    path = write(tmp_path, GOOD.replace("0.02", "-0.1"))
    with pytest.raises(InputError) as err:
        load_scenario(path)
    assert str(err.value) == f"{path}: contract.attrition_monthly: must be between 0 and 1, got -0.1"


def test_outflow_rates_adding_up_to_more_than_one_are_rejected(tmp_path):
    path = write(tmp_path, GOOD + "losses_monthly = 0.5\nretirement_monthly = 0.6\n")
    with pytest.raises(InputError, match=r"x.toml: contract: outflow rates add up to 1.12 .*must be at most 1"):
        load_scenario(path)


def test_conscript_rows_above_one_are_rejected(tmp_path):
    path = write(tmp_path, GOOD.replace("term_months = 12", "term_months = 12\nattrition_monthly = 0.7\nconversion_monthly = 0.4"))
    with pytest.raises(InputError, match="conscripts: outflow rates add up to 1.1"):
        load_scenario(path)


def test_broken_toml_is_an_input_error_not_a_traceback(tmp_path):
    path = write(tmp_path, "name = ")
    with pytest.raises(InputError, match="x.toml: not valid TOML"):
        load_scenario(path)


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot read scenario file"):
        load_scenario(tmp_path / "absent.toml")


def test_misspelt_key_is_reported(tmp_path):
    path = write(tmp_path, GOOD + "atrition_monthly = 0.1\n")
    with pytest.raises(InputError, match=r"contract.atrition_monthly: unknown key"):
        load_scenario(path)


def test_wrong_number_of_initial_cohorts_is_rejected(tmp_path):
    path = write(tmp_path, GOOD.replace("term_months = 12", "term_months = 12\ninitial = [1, 2, 3]"))
    with pytest.raises(InputError, match="initial has 3 values, term_months is 12"):
        load_scenario(path)


def test_uncertainty_needs_the_parameters_of_its_distribution(tmp_path):
    path = write(tmp_path, GOOD + '[[uncertainty]]\nparameter = "contract.attrition_monthly"\ndist = "triangular"\nlow = 0.01\nhigh = 0.03\n')
    with pytest.raises(InputError, match="uncertainty\\[0\\]: triangular distribution of contract.attrition_monthly needs mode"):
        load_scenario(path)


def test_campaign_floor_above_its_bounds_is_rejected(tmp_path):
    text = GOOD + '[[campaigns]]\nname = "s"\nmonth = 4\nmin_quota = 100\noffice_capacity = 150\ninduction_yield = 0.5\n'
    with pytest.raises(InputError, match="campaigns\\[0\\]: min_quota 100 is above what the bounds allow \\(75\\)"):
        load_scenario(write(tmp_path, text))
