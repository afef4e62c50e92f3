"""A deliberately biased draw is flagged and a fair one is not, at overall significance 0.01."""

import pathlib

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings, strategies as st

from callup.errors import InputError
from callup.lottery.draw import draw
from callup.lottery.fairness import check_fairness, check_import_order, read_draw_csv
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


# --- import order: the 2012 US Diversity Visa failure ----------------------------------------------------------

def registration_days(days: int = 30, per_day: int = 200) -> np.ndarray:
    """The import batch (registration day) of each person, in import order."""
    return np.repeat(np.arange(1, days + 1), per_day)


def test_our_own_draw_is_not_flagged_against_import_order():
    batches = registration_days()
    table = pa.table({"region": ["All"] * len(batches),
                      "pseudonym": pseudonymise(b"k" * 32, [f"P{i}" for i in range(len(batches))])})
    result, _ = draw(table, bytes(range(32)), {"All": 300})  # rows in import order, as the freeze reads them
    report = check_import_order(batches, result.rank, alpha=ALPHA)
    assert report is not None and report.batches == 30 and not report.flagged


def test_a_draw_that_selects_mostly_from_the_first_registration_days_is_flagged():
    """As in 2012: a draw that ranks by a key depending on the row's place in the import selects from the first days."""
    batches = registration_days()
    rng = np.random.default_rng(2012)
    biased = np.argsort(np.argsort(rng.random(len(batches)) + (batches > 2) * 0.9)) + 1
    selected = biased <= 300
    assert (batches[selected] <= 2).mean() > 0.9
    report = check_import_order(batches, biased, alpha=ALPHA)
    assert report.flagged and report.spearman_rho > 0 and report.kruskal_p < ALPHA / 3
    assert "imported earlier are called first" in report.reasons[0]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(30, 80), min_size=2, max_size=12), st.integers(0, 2**32 - 1))
def test_a_rank_that_follows_import_order_is_always_flagged(sizes, seed):
    batches = np.repeat(np.arange(len(sizes)), sizes)
    rng = np.random.default_rng(seed)
    ranks = np.lexsort((rng.random(len(batches)), batches)).argsort() + 1  # by batch, at random within a batch
    assert check_import_order(batches, ranks, alpha=ALPHA).flagged


def test_one_import_batch_has_nothing_to_compare():
    assert check_import_order(np.ones(100, dtype=int), np.arange(100), alpha=ALPHA) is None
