"""The quota solver: smallest quotas that meet the targets, exact shortfall when none can, monotone."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from callup.planning.model import project, schedule
from callup.planning.scenario import load_scenario
from callup.planning.solver import binding, solve
from planning_helpers import small


def two_campaigns(active=300_000, cap=200_000, floor=0.0, yield_=0.5):
    return small(
        conscripts={"initial": 100_000, "attrition_monthly": 0.005},
        campaigns=[
            {"name": "spring", "month": 4, "quota": 50_000, "spread_months": 2, "induction_yield": yield_, "office_capacity": cap / yield_, "min_quota": floor},
            {"name": "autumn", "month": 10, "quota": 50_000, "spread_months": 2, "induction_yield": yield_, "office_capacity": cap / yield_, "min_quota": floor},
        ],
        contract={"initial": 100_000, "recruitment_monthly": 1_000, "attrition_monthly": 0.01},
        targets={"active": active, "by_month": 24},
    )


def test_solution_meets_the_target_when_replayed_through_the_model():
    s = two_campaigns()
    sol = solve(s)
    assert sol.feasible
    assert sol.reached["active"] >= 300_000 - 1e-6
    check = {c.name: c for c in sol.projection.checks}["active"]
    assert check.met_by_deadline
    # and the quotas it reports, written back into the scenario, give the same strength
    replay = s.model_copy(update={"campaigns": [c.model_copy(update={"quota": lv.value}) for c, lv in zip(s.campaigns, sol.levers, strict=True)]})
    assert project(replay, 24).active[24] == pytest.approx(sol.reached["active"])


def test_solution_is_the_smallest_a_one_person_cut_breaks_the_target():
    s = two_campaigns()
    sol = solve(s)
    free = [lv for lv in sol.levers if binding(lv) is None]
    assert free, "at least one quota is not at a bound"
    quotas = [lv.value for lv in sol.levers]
    j = sol.levers.index(free[0])
    quotas[j] -= 2
    cut = s.model_copy(update={"campaigns": [c.model_copy(update={"quota": q}) for c, q in zip(s.campaigns, quotas, strict=True)]})
    assert project(cut, 24).active[24] < 300_000


def test_infeasible_target_reports_the_exact_shortfall_at_the_bounds():
    s = two_campaigns(active=900_000)
    sol = solve(s)
    assert not sol.feasible and sol.status == "infeasible"
    assert all(lv.value == lv.bound for lv in sol.levers)
    at_bounds = s.model_copy(update={"campaigns": [c.model_copy(update={"quota": c.quota_bound()}) for c in s.campaigns]})
    most = project(at_bounds, 24).active[24]
    assert sol.shortfall["active"] == pytest.approx(900_000 - most)


def test_floor_holds_a_campaign_that_is_not_needed():
    sol = solve(two_campaigns(active=100_000, floor=20_000))
    assert [lv.value for lv in sol.levers] == [20_000, 20_000]
    assert all(binding(lv) == "policy floor (min_quota)" for lv in sol.levers)


def test_lower_induction_yield_means_calling_more_people():
    high, low = solve(two_campaigns(yield_=0.6)), solve(two_campaigns(yield_=0.4))
    assert [lv.value for lv in high.levers] == pytest.approx([lv.value for lv in low.levers])
    assert low.people_called == pytest.approx(high.people_called * 0.6 / 0.4)


@settings(max_examples=15, deadline=None)
@given(a=st.floats(150_000, 400_000), b=st.floats(150_000, 400_000))
def test_a_higher_target_never_needs_fewer_people_called(a, b):
    lo, hi = sorted((a, b))
    x, y = solve(two_campaigns(active=lo)), solve(two_campaigns(active=hi))
    if y.feasible:
        assert x.feasible and x.people_called <= y.people_called + 1e-3
    assert (x.shortfall["active"] if not x.feasible else 0) <= (y.shortfall["active"] if not y.feasible else 0) + 1e-6


@settings(max_examples=15, deadline=None)
@given(c1=st.floats(50_000, 300_000), c2=st.floats(50_000, 300_000))
def test_more_office_capacity_never_needs_more_people_called(c1, c2):
    lo, hi = sorted((c1, c2))
    x, y = solve(two_campaigns(active=400_000, cap=lo)), solve(two_campaigns(active=400_000, cap=hi))
    if x.feasible:
        assert y.feasible and y.people_called <= x.people_called + 1e-3


def test_example_scenario_solver_raises_autumn_above_todays_quota(example_path):
    s = load_scenario(example_path)
    sol = solve(s)
    assert sol.feasible
    quotas = {lv.label: lv.value for lv in sol.levers}
    assert quotas["spring"] == 120_000  # held at the policy floor
    assert 160_000 < quotas["autumn"] < 280_000
    assert sol.reached["active"] >= 1_500_000 - 1e-6


def test_contract_recruitment_can_be_the_lever(example_path):
    s = load_scenario(example_path)
    sol = solve(s, levers=["contract"])
    assert sol.feasible and sol.people_called == 0
    assert all(0 <= lv.value <= 40_000 for lv in sol.levers)
    base = schedule(s, 36).recruitment["contract"][1:].sum()
    assert sol.contract_recruits < base + 300_000
