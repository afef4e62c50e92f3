"""Textbook grade-transition (Markov) manpower helpers: the push projection and fixed-size systems.

These are the classic building blocks the monthly model specialises: a stock vector n moved one
period by a transition matrix P whose rows are the shares moving between grades, the rest of
each row leaving (the exit or wastage rate w = 1 - row sum). They are here so the model's
foundations can be checked against published worked examples (tests/planning/test_plan_literature.py).
"""

from __future__ import annotations

import numpy as np


def _check(transitions: np.ndarray) -> np.ndarray:
    p = np.asarray(transitions, dtype=float)
    if p.ndim != 2 or p.shape[0] != p.shape[1]:
        raise ValueError(f"transition matrix must be square, got shape {p.shape}")
    if (p < 0).any():
        raise ValueError("transition rates must not be negative")
    sums = p.sum(axis=1)
    if (sums > 1 + 1e-12).any():
        row = int(np.argmax(sums))
        raise ValueError(f"row {row} of the transition matrix adds up to {sums[row]:g}, must be at most 1")
    return p


def push_step(stocks: np.ndarray, transitions: np.ndarray) -> tuple[np.ndarray, float]:
    """One period of a push model: (stocks next period before recruitment, number who left).

    `stocks[i]` people are in grade i; `transitions[i, j]` is the share moving from i to j; the
    rest of row i leaves. People are conserved: sum(next) + exits = sum(stocks).
    """
    p = _check(transitions)
    n = np.asarray(stocks, dtype=float)
    nxt = n @ p
    exits = float(n @ (1.0 - p.sum(axis=1)))
    return nxt, exits


def fixed_size_stationary(transitions: np.ndarray, recruitment: np.ndarray) -> np.ndarray:
    """Limiting grade structure of a system of fixed size (leavers replaced by recruits).

    Every leaver opens a vacancy filled by a recruit entering grade j with probability
    recruitment[j], so the structure evolves by Q = P + w'r, with w the exit rates. Its
    stationary distribution q (q = qQ, sum q = 1) equals r(I - P)^-1 normalised: the expected
    time a recruit spends in each grade, as a share of the expected length of stay.
    """
    p = _check(transitions)
    r = np.asarray(recruitment, dtype=float)
    if r.shape != (p.shape[0],) or (r < 0).any() or not np.isclose(r.sum(), 1.0):
        raise ValueError("recruitment must be a probability vector over the grades")
    w = 1.0 - p.sum(axis=1)
    q_matrix = p + np.outer(w, r)
    k = p.shape[0]
    # Solve q (I - Q) = 0 with sum(q) = 1: replace one equation by the normalisation.
    a = (np.eye(k) - q_matrix).T
    a[-1, :] = 1.0
    b = np.zeros(k)
    b[-1] = 1.0
    return np.linalg.solve(a, b)


def expected_stay(transitions: np.ndarray, recruitment: np.ndarray) -> np.ndarray:
    """Expected periods a recruit spends in each grade before leaving: r (I - P)^-1."""
    p = _check(transitions)
    return np.asarray(recruitment, dtype=float) @ np.linalg.inv(np.eye(p.shape[0]) - p)
