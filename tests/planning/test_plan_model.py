"""The monthly stock-and-flow model: exact terms, conservation of people, linear response."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from callup.planning.model import ACTIVE, CATEGORIES, occurrences, project, schedule
from planning_helpers import small


def test_twelve_month_term_releases_each_intake_exactly_after_twelve_months():
    s = small(campaigns=[{"name": "spring", "month": 4, "quota": 1000}], conscripts={"to_reserve": 1.0})
    p = project(s, 30)
    conscripts = p.stocks["conscripts"]
    # inducted in April 2025 (month 4): serving in months 4..15, released into the reserve in month 16
    assert conscripts[3] == 0
    assert all(conscripts[t] == pytest.approx(1000) for t in range(4, 16))
    assert conscripts[16] == pytest.approx(1000)  # the April 2026 intake replaces them exactly
    assert p.flows["released"][16] == pytest.approx(1000)
    assert p.flows["released"][15] == 0
    assert p.stocks["reserve"][15] == 0 and p.stocks["reserve"][16] == pytest.approx(1000)


def test_a_term_of_eighteen_months_keeps_each_cohort_eighteen_months():
    s = small(campaigns=[{"name": "only", "month": 1, "quota": 500}], conscripts={"term_months": 18, "initial": 0})
    p = project(s, 24)
    assert p.by_service[18].sum() == pytest.approx(1000)  # January 2025 cohort in its 18th month + January 2026 cohort
    assert p.by_service[18][17] == pytest.approx(500)
    assert p.by_service[19].sum() == pytest.approx(500)  # the 2025 cohort left after exactly 18 months
    assert p.flows["released"][19] == pytest.approx(500)


def test_spread_intake_divides_the_quota_evenly_over_the_campaign_months():
    s = small(campaigns=[{"name": "autumn", "month": 10, "quota": 900, "spread_months": 3}])
    sched = schedule(s, 14)
    assert sched.intake[10:13] == pytest.approx([300, 300, 300])
    assert sched.intake.sum() == pytest.approx(900)


def test_campaigns_recur_every_year_in_their_calendar_month():
    s = small(start="2025-03", campaigns=[{"name": "spring", "month": 4, "quota": 1}, {"name": "autumn", "month": 10, "quota": 1}])
    labels = [o.label for o in occurrences(s, 24)]
    assert labels == ["spring 2025-04", "autumn 2025-10", "spring 2026-04", "autumn 2026-10"]


def test_outflows_follow_the_monthly_rates():
    s = small(contract={"initial": 10_000, "attrition_monthly": 0.02, "losses_monthly": 0.01, "to_reserve": 0.5})
    p = project(s, 1)
    assert p.stocks["contract"][1] == pytest.approx(10_000 * 0.97)
    assert p.stocks["reserve"][1] == pytest.approx(100)  # half of 200 leavers; the 100 lost never join
    assert p.flows["losses"][1] == pytest.approx(100)


def test_conscripts_who_sign_a_contract_move_to_the_contract_stock():
    s = small(campaigns=[{"name": "c", "month": 1, "quota": 1000}], conscripts={"conversion_monthly": 0.1, "conversion_at_term_end": 0.5})
    p = project(s, 13)
    assert p.stocks["contract"][2] == pytest.approx(100)
    survivors = 1000 * 0.9**12
    assert p.flows["conversions"][13] == pytest.approx(survivors * 0.1 / 0.9 + survivors * 0.5)


def rates():
    return st.floats(0, 0.3)


@settings(max_examples=60, deadline=None)
@given(
    a=rates(), l=rates(), v=rates(), end=st.floats(0, 1), tr=st.floats(0, 1),
    ka=rates(), kl=rates(), kr=rates(), ra=rates(), rr=rates(),
    quota=st.floats(0, 1e6), recruit=st.floats(0, 1e4), initial=st.floats(0, 1e6),
)
def test_people_are_conserved_every_month_for_any_rates(a, l, v, end, tr, ka, kl, kr, ra, rr, quota, recruit, initial):
    s = small(
        conscripts={"initial": initial, "attrition_monthly": a, "losses_monthly": l, "conversion_monthly": v, "conversion_at_term_end": end, "to_reserve": tr},
        campaigns=[{"name": "c", "month": 2, "quota": quota, "spread_months": 2}],
        contract={"initial": initial, "recruitment_monthly": recruit, "attrition_monthly": ka, "losses_monthly": kl, "retirement_monthly": kr, "to_reserve": tr},
        officers={"initial": initial / 3, "attrition_monthly": kl, "retirement_monthly": ka, "to_reserve": 1 - tr},
        reserve={"initial": initial / 2, "attrition_monthly": ra, "retirement_monthly": rr},
    )
    p = project(s, 26)
    people = sum(p.stocks[c] for c in CATEGORIES)
    inflow = p.flows["intake"] + p.flows["recruitment"]
    assert np.allclose(people[1:] + p.flows["exits"][1:], people[:-1] + inflow[1:], rtol=1e-9, atol=1e-6)
    assert all((p.stocks[c] >= -1e-9).all() for c in CATEGORIES)


@settings(max_examples=30, deadline=None)
@given(extra=st.floats(1, 1e5), month=st.integers(1, 12))
def test_a_larger_quota_never_lowers_any_category(extra, month):
    base = small(conscripts={"initial": 1e5, "attrition_monthly": 0.01, "conversion_monthly": 0.02}, campaigns=[{"name": "c", "month": month, "quota": 1e4}])
    more = small(conscripts={"initial": 1e5, "attrition_monthly": 0.01, "conversion_monthly": 0.02}, campaigns=[{"name": "c", "month": month, "quota": 1e4 + extra}])
    a, b = project(base, 30), project(more, 30)
    for c in CATEGORIES:
        assert (b.stocks[c] >= a.stocks[c] - 1e-6).all()


def test_example_scenario_falls_short_of_both_targets_under_todays_intake(example_path):
    from callup.planning.scenario import load_scenario

    p = project(load_scenario(example_path), 36)
    checks = {c.name: c for c in p.checks}
    assert not checks["active"].met_by_deadline and checks["active"].shortfall_at_deadline > 0
    assert not checks["total"].met_by_deadline
    assert p.active[36] == pytest.approx(sum(p.stocks[c][36] for c in ACTIVE))


def test_target_met_month_is_the_first_month_at_or_above_the_target():
    s = small(contract={"initial": 0, "recruitment_monthly": 100}, targets={"active": 450, "by_month": 12})
    p = project(s, 12)
    (check,) = p.checks
    assert check.met_month == 5 and check.met_by_deadline and check.shortfall_at_deadline == 0
