"""Monte Carlo: bands bracket the expected path, probabilities respond to the targets, seeds reproduce."""

from __future__ import annotations

import numpy as np
import pytest

from callup.planning import montecarlo
from callup.planning.model import CATEGORIES
from callup.planning.scenario import load_scenario
from planning_helpers import small


def test_same_seed_gives_the_same_runs(example_path):
    s = load_scenario(example_path)
    a, b = montecarlo.run(s, 12, 200, seed=3), montecarlo.run(s, 12, 200, seed=3)
    assert np.array_equal(a.bands["total"], b.bands["total"])
    assert a.final and all(np.array_equal(a.final[k], b.final[k]) for k in a.final)  # run by run
    assert a.probability == b.probability


def test_a_different_seed_changes_the_runs(example_path):
    s = load_scenario(example_path)
    a, b = montecarlo.run(s, 12, 200, seed=3), montecarlo.run(s, 12, 200, seed=4)
    assert a.final and not np.array_equal(a.final["total"], b.final["total"])  # other worlds, run by run
    assert not np.array_equal(a.bands["total"], b.bands["total"])


def test_without_uncertain_rates_the_median_tracks_the_expected_projection():
    s = small(
        conscripts={"initial": 120_000, "attrition_monthly": 0.01},
        campaigns=[{"name": "c", "month": 3, "quota": 60_000}],
        contract={"initial": 200_000, "recruitment_monthly": 5_000, "attrition_monthly": 0.02, "to_reserve": 0.5},
        reserve={"initial": 10_000, "retirement_monthly": 0.03},
    )
    from callup.planning.model import project

    expected = project(s, 24)
    mc = montecarlo.run(s, 24, 2_000, seed=1)
    median = mc.bands["total"][mc.percentiles.index(50)]
    assert median == pytest.approx(expected.total, rel=2e-3)
    low, high = mc.bands["total"][0], mc.bands["total"][-1]
    assert (low <= expected.total + 1).all() and (expected.total - 1 <= high).all()
    assert (high[1:] > low[1:]).all()  # binomial flows spread the runs


def test_probability_of_meeting_the_target_falls_as_the_target_rises(example_path):
    s = load_scenario(example_path)
    probabilities = []
    for active in (1_200_000, 1_450_000, 1_700_000):
        t = s.model_copy(update={"targets": s.targets.model_copy(update={"active": active})})
        probabilities.append(montecarlo.run(t, 36, 1_000, seed=2).probability["active"])
    assert probabilities[0] > probabilities[1] > probabilities[2]
    assert probabilities[0] > 0.95 and probabilities[2] < 0.05


def test_runs_keep_whole_non_negative_people(example_path):
    s = load_scenario(example_path)
    mc = montecarlo.run(s, 36, 300, seed=5)
    for c in CATEGORIES:
        assert (mc.bands[c] >= 0).all()
    assert set(mc.probability) == {"total", "active", "all"}
    assert mc.probability["all"] <= min(mc.probability["total"], mc.probability["active"])
