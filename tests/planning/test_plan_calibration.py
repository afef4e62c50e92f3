"""Calibration: yields per person called from campaign outcomes, and clear errors for bad tables."""

from __future__ import annotations

import pytest

from callup.errors import InputError
from callup.planning.calibration import calibrate, calls_needed, wilson_interval

HEADER = "campaign,region,called,delivered,appeared,fitness_A,fitness_B,deferred,exempted,alternative_service,inducted\n"


def write(tmp_path, body, header=HEADER):
    path = tmp_path / "outcomes.csv"
    path.write_text(header + body)
    return path


def test_yields_are_column_totals_over_people_called(tmp_path):
    path = write(tmp_path, "s,R1,100,90,80,50,20,10,5,1,60\ns,R2,300,270,240,150,60,30,15,3,120\n")
    cal = calibrate(path)
    assert cal.called == 400
    assert cal.overall["inducted"] == pytest.approx(180 / 400)
    assert cal.overall["fitness_A"] == pytest.approx(200 / 400)
    assert cal.by_region["R1"]["inducted"] == pytest.approx(0.6)
    assert cal.called_per_inductee == pytest.approx(400 / 180)
    assert cal.measures == ["delivered", "appeared", "fitness_A", "fitness_B", "deferred", "exempted", "alternative_service", "inducted"]


def test_calls_needed_to_induct_n_rounds_up_to_whole_people():
    assert calls_needed(160_000, 0.5) == 320_000
    assert calls_needed(100, 0.3) == 334
    with pytest.raises(InputError):
        calls_needed(10, 0)


def test_example_outcomes_give_an_induction_yield_near_one_half(outcomes_path):
    cal = calibrate(outcomes_path)
    assert cal.rows == 16
    assert 0.45 < cal.induction_yield < 0.55
    low, high = cal.induction_interval
    assert low < cal.induction_yield < high and high - low < 0.01


def test_wilson_interval_widens_for_a_thin_history():
    assert wilson_interval(5, 10)[1] - wilson_interval(5, 10)[0] > wilson_interval(500, 1000)[1] - wilson_interval(500, 1000)[0]


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("s,R1,100,120,80,50,20,10,5,1,60", "line 2: delivered (120) exceeds called (100)"),
        ("s,R1,100,90,95,50,20,10,5,1,60", "line 2: appeared (95) exceeds delivered (90)"),
        ("s,R1,100,90,80,70,20,10,5,1,60", "line 2: fitness categories add up to 90, more than appeared (80)"),
        ("s,R1,100,90,80,50,20,10,5,1,85", "line 2: inducted (85) exceeds appeared (80)"),
        ("s,R1,100,90,80,50,20,30,15,1,60", "more than called (100)"),
        ("s,R1,100,90,-80,50,20,10,5,1,60", "line 2: appeared: must not be negative, got -80"),
        ("s,R1,100,90,eighty,50,20,10,5,1,60", "line 2: appeared: must be a whole number, got 'eighty'"),
        ("s,R1,0,0,0,0,0,0,0,0,0", "line 2: called: must be positive"),
        ("s,R1,100,90,80,50,20,10,5,1", "line 2: expected 11 fields"),
    ],
)
def test_inconsistent_rows_are_rejected_naming_file_line_and_problem(tmp_path, row, problem):
    path = write(tmp_path, row + "\n")
    with pytest.raises(InputError) as err:
        calibrate(path)
    assert str(err.value).startswith(str(path)) and problem in str(err.value)


def test_repeated_campaign_and_region_is_rejected(tmp_path):
    path = write(tmp_path, "s,R1,100,90,80,50,20,10,5,1,60\ns,R1,100,90,80,50,20,10,5,1,60\n")
    with pytest.raises(InputError, match="line 3: campaign s region R1 repeats line 2"):
        calibrate(path)


def test_missing_and_unknown_columns_are_named(tmp_path):
    with pytest.raises(InputError, match="missing column\\(s\\): inducted"):
        calibrate(write(tmp_path, "", header=HEADER.replace(",inducted", "")))
    with pytest.raises(InputError, match="unknown column\\(s\\): remarks"):
        calibrate(write(tmp_path, "", header=HEADER.strip() + ",remarks\n"))
    with pytest.raises(InputError, match="no fitness columns"):
        calibrate(write(tmp_path, "", header=HEADER.replace("fitness_A,fitness_B,", "")))
