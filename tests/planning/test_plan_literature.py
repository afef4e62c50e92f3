"""The planning foundations reproduce published worked examples exactly.

Sources:

* Push-model one-step projection: the four-grade sales-force Markov-analysis exercise of
  H. G. Heneman III, T. A. Judge and J. D. Kammeyer-Mueller, *Staffing Organizations*
  (McGraw-Hill), chapter on planning, "Markov Analysis and Forecasting" exercise. Stocks
  300/200/50/30, yearly transition rows with the exit rate last. The projection follows from
  the rows by arithmetic: 300*.50 + 200*.05 + 50*.05 = 162.5, 300*.10 + 200*.60 = 150,
  300*.05 + 200*.10 + 50*.80 = 75, 50*.10 + 30*.70 = 26, and 300*.35 + 200*.25 + 50*.05 +
  30*.30 = 166.5 exits.
* Fixed-size (vacancy-filling) system: D. J. Bartholomew, *Stochastic Models for Social
  Processes* (3rd ed., Wiley 1982), ch. 4, systems of constant size: the limiting structure is
  q = r(I - P)^-1 / r(I - P)^-1 1'. Applied to the four-grade matrix above with every vacancy
  filled in the entry grade, exact rational arithmetic gives q = (8, 2, 3, 1) / 14 and an
  expected stay of 56/15 years (32/15, 8/15, 12/15, 4/15 per grade).
* Linear program: H. P. Williams, *Model Building in Mathematical Programming* (5th ed.,
  Wiley 2013), problem 12.5 "Manpower planning", pp. 256-257 and 303-304; full data and the
  published optima (minimum redundancies 841.80, minimum cost 498,677.29) as in the
  Gurobi/modeling-examples repository, notebook manpower_planning/manpower_planning.ipynb.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from callup.planning.lp import LinearProgram
from callup.planning.markov import expected_stay, fixed_size_stationary, push_step

# Grades as named in the exercise brief; rows are moves to the four grades, then the exit rate.
GRADES = ("part-time sales", "full-time sales", "assistant manager", "regional manager")
ROWS = [
    (".50", ".10", ".05", "0", ".35"),
    (".05", ".60", ".10", "0", ".25"),
    (".05", "0", ".80", ".10", ".05"),
    ("0", "0", "0", ".70", ".30"),
]
STOCKS = (300, 200, 50, 30)
P = np.array([[float(x) for x in row[:4]] for row in ROWS])


def test_each_transition_row_with_its_exit_rate_accounts_for_everyone():
    for row in ROWS:
        assert sum(Fraction(x) for x in row) == 1


def test_push_model_projects_the_four_grade_sales_force_one_year_ahead():
    nxt, exits = push_step(np.array(STOCKS), P)
    assert nxt == pytest.approx([162.5, 150.0, 75.0, 26.0], abs=1e-9)
    assert exits == pytest.approx(166.5, abs=1e-9)
    assert nxt.sum() + exits == pytest.approx(sum(STOCKS))


def test_push_model_rejects_a_row_whose_moves_exceed_everyone_in_the_grade():
    bad = P.copy()
    bad[1, 1] = 0.95
    with pytest.raises(ValueError, match="row 1 .* adds up to 1.1"):
        push_step(np.array(STOCKS), bad)


def _exact_stay(rows, entry: int) -> list[Fraction]:
    """r (I - P)^-1 in exact rationals, by Gauss-Jordan on (I - P)^T x = r^T."""
    k = len(rows)
    p = [[Fraction(x) for x in row[:k]] for row in rows]
    a = [[(Fraction(int(i == j)) - p[j][i]) for j in range(k)] + [Fraction(int(i == entry))] for i in range(k)]
    for col in range(k):
        pivot = next(r for r in range(col, k) if a[r][col] != 0)
        a[col], a[pivot] = a[pivot], a[col]
        a[col] = [v / a[col][col] for v in a[col]]
        for r in range(k):
            if r != col and a[r][col] != 0:
                a[r] = [v - a[r][col] * w for v, w in zip(a[r], a[col], strict=True)]
    return [a[i][k] for i in range(k)]


def test_fixed_size_system_settles_to_the_vacancy_chain_stationary_structure():
    stay = _exact_stay(ROWS, entry=0)
    assert stay == [Fraction(32, 15), Fraction(8, 15), Fraction(12, 15), Fraction(4, 15)]
    assert sum(stay) == Fraction(56, 15)
    exact = [s / sum(stay) for s in stay]
    assert exact == [Fraction(8, 14), Fraction(2, 14), Fraction(3, 14), Fraction(1, 14)]

    q = fixed_size_stationary(P, np.array([1.0, 0, 0, 0]))
    assert q == pytest.approx([float(x) for x in exact], abs=1e-12)
    assert expected_stay(P, np.array([1.0, 0, 0, 0])) == pytest.approx([float(s) for s in stay], abs=1e-12)


def test_fixed_size_system_keeps_its_size_and_reaches_the_structure_from_any_start():
    r = np.array([1.0, 0, 0, 0])
    n = np.array(STOCKS, dtype=float)
    for _ in range(300):
        moved, exits = push_step(n, P)
        n = moved + exits * r  # every leaver replaced by an entry-grade recruit
    assert n.sum() == pytest.approx(sum(STOCKS))
    assert n / n.sum() == pytest.approx(fixed_size_stationary(P, r), abs=1e-9)


# --- H. P. Williams, Model Building in Mathematical Programming, 12.5 Manpower planning -------

SKILLS = ("unskilled", "semi-skilled", "skilled")
CURRENT = {"unskilled": 2000, "semi-skilled": 1500, "skilled": 1000}
DEMAND = {
    1: {"unskilled": 1000, "semi-skilled": 1400, "skilled": 1000},
    2: {"unskilled": 500, "semi-skilled": 2000, "skilled": 1500},
    3: {"unskilled": 0, "semi-skilled": 2500, "skilled": 2000},
}
ROOKIE_WASTAGE = {"unskilled": 0.25, "semi-skilled": 0.20, "skilled": 0.10}  # first year of service
VETERAN_WASTAGE = {"unskilled": 0.10, "semi-skilled": 0.05, "skilled": 0.05}
DOWNGRADE_WASTAGE = 0.50
MAX_RECRUIT = {"unskilled": 500, "semi-skilled": 800, "skilled": 500}
RETRAIN_COST = {"unskilled": 400, "semi-skilled": 500}  # to the next grade up
REDUNDANCY_COST = {"unskilled": 200, "semi-skilled": 500, "skilled": 500}
SHORT_TIME_COST = {"unskilled": 500, "semi-skilled": 400, "skilled": 400}
OVERMANNING_COST = {"unskilled": 1500, "semi-skilled": 2000, "skilled": 3000}


def _williams(objective: str) -> tuple[float, dict[str, float]]:
    lp = LinearProgram()
    v: dict[tuple, int] = {}
    for y in DEMAND:
        for s in SKILLS:
            v["recruit", y, s] = lp.var(f"recruit[{y},{s}]", ub=MAX_RECRUIT[s])
            v["short", y, s] = lp.var(f"short[{y},{s}]", ub=50)
            v["strength", y, s] = lp.var(f"strength[{y},{s}]")
            v["redundant", y, s] = lp.var(f"redundant[{y},{s}]")
            v["over", y, s] = lp.var(f"over[{y},{s}]")
            for s2 in SKILLS:
                if s2 != s:
                    v["move", y, s, s2] = lp.var(f"move[{y},{s}->{s2}]")
    rank = {s: i for i, s in enumerate(SKILLS)}
    for y in DEMAND:
        for s in SKILLS:
            # strength = survivors of last year's strength + surviving recruits + surviving movers in - movers out - redundancies
            row = {v["strength", y, s]: 1.0, v["recruit", y, s]: -(1 - ROOKIE_WASTAGE[s]), v["redundant", y, s]: 1.0}
            if y > 1:
                row[v["strength", y - 1, s]] = -(1 - VETERAN_WASTAGE[s])
            for s2 in SKILLS:
                if s2 == s:
                    continue
                survive = 1 - VETERAN_WASTAGE[s] if rank[s2] < rank[s] else 1 - DOWNGRADE_WASTAGE
                row[v["move", y, s2, s]] = -survive
                row[v["move", y, s, s2]] = 1.0
            lp.add(row, "==", (1 - VETERAN_WASTAGE[s]) * CURRENT[s] if y == 1 else 0.0)
            # strength = requirement + overmanning + half of those on short time
            lp.add({v["strength", y, s]: 1.0, v["over", y, s]: -1.0, v["short", y, s]: -0.5}, "==", DEMAND[y][s])
        lp.add({v["move", y, "unskilled", "semi-skilled"]: 1.0}, "<=", 200)
        lp.add({v["move", y, "unskilled", "skilled"]: 1.0}, "==", 0)
        lp.add({v["move", y, "semi-skilled", "skilled"]: 1.0, v["strength", y, "skilled"]: -0.25}, "<=", 0)
        lp.add({v["over", y, s]: 1.0 for s in SKILLS}, "<=", 150)
        for s in SKILLS:
            if objective == "redundancy":
                lp.set_cost(v["redundant", y, s], 1.0)
            else:
                lp.set_cost(v["redundant", y, s], REDUNDANCY_COST[s])
                lp.set_cost(v["short", y, s], SHORT_TIME_COST[s])
                lp.set_cost(v["over", y, s], OVERMANNING_COST[s])
        if objective == "cost":
            lp.set_cost(v["move", y, "unskilled", "semi-skilled"], RETRAIN_COST["unskilled"])
            lp.set_cost(v["move", y, "semi-skilled", "skilled"], RETRAIN_COST["semi-skilled"])
    result = lp.solve()
    assert result.status == "optimal", result.message
    return result.objective, result.values


def test_williams_manpower_plan_minimises_redundancies_to_841_80():
    objective, values = _williams("redundancy")
    assert round(objective, 2) == 841.80
    redundancies = sum(x for name, x in values.items() if name.startswith("redundant"))
    assert redundancies == pytest.approx(841.796875, abs=1e-6)


def test_williams_manpower_plan_minimises_cost_to_498_677_29():
    objective, _ = _williams("cost")
    assert round(objective, 2) == 498677.29
