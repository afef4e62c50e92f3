"""A deliberately biased draw is flagged and a fair one is not, at overall significance 0.01."""

import pathlib

import numpy as np
import pyarrow as pa
import pytest

from callup.errors import InputError
from callup.lottery.draw import draw
from callup.lottery.fairness import check_fairness, read_draw_csv
from callup.lottery.pseudonyms import pseudonymise

ALPHA = 0.01
EXAMPLE_1969 = pathlib.Path(__file__).resolve().parents[2] / "examples" / "draws" / "us-1969-draft-lottery.csv"


def test_the_1969_us_draft_lottery_is_flagged_with_its_known_correlation():
    dates, numbers = read_draw_csv(EXAMPLE_1969, "birthday", "draft_number")
    report = check_fairness(dates, numbers, alpha=ALPHA)
    assert report.flagged
    assert report.spearman_rho == pytest.approx(-0.226, abs=0.001)  # the published figure
    assert report.months[11].mean < report.months[0].mean  # December got low numbers


def test_a_uniform_reshuffle_of_the_same_birthdays_is_not_flagged():
    dates, numbers = read_draw_csv(EXAMPLE_1969, "birthday", "draft_number")
    report = check_fairness(dates, np.random.default_rng(2031).permutation(numbers), alpha=ALPHA)
    assert not report.flagged


def people(n=5000, seed=1):
    rng = np.random.default_rng(seed)
    dates = np.datetime64("2005-01-01") + rng.integers(0, 365, n).astype("timedelta64[D]")
    return dates


def test_our_own_draw_over_people_with_birth_dates_is_not_flagged():
    dates = people()
    table = pa.table({"region": ["All"] * len(dates), "pseudonym": pseudonymise(b"k" * 32, [f"P{i}" for i in range(len(dates))])})
    result, _ = draw(table, bytes(range(32)), {"All": 100})  # rows stay aligned with `dates`
    assert not check_fairness(dates, result.rank, alpha=ALPHA).flagged


def test_a_draw_that_favours_late_birthdays_is_flagged():
    dates = people()
    rng = np.random.default_rng(2)
    day = (dates - dates.astype("datetime64[Y]")).astype(int)
    biased = np.argsort(np.argsort(rng.random(len(dates)) + day / 365 * 0.3)) + 1  # a mild tilt
    report = check_fairness(dates, biased, alpha=ALPHA)
    assert report.flagged and report.spearman_p < ALPHA / 3


def test_too_few_rows_are_refused():
    with pytest.raises(InputError):
        check_fairness(people(10), np.arange(10), alpha=ALPHA)


@pytest.mark.parametrize("numbers", [np.full(366, 7.0), np.where(np.arange(366) == 5, np.nan, np.arange(366.0))],
                         ids=["all equal", "one missing"])
def test_numbers_that_rank_nobody_are_refused_not_called_fair(numbers):
    dates = np.arange(np.datetime64("2000-01-01"), np.datetime64("2001-01-01"))
    with pytest.raises(InputError, match="same number|missing"):
        check_fairness(dates, numbers)


def test_a_bad_date_names_file_line_and_column(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("dob,n\n2001-01-01,1\n2001-13-01,2\n")
    with pytest.raises(InputError, match=r"d\.csv, line 3, column 'dob'"):
        read_draw_csv(path, "dob", "n")
