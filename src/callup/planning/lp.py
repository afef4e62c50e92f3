"""A small linear-program builder over `scipy.optimize.linprog` (HiGHS).

Why: the quota solver and the literature checks (the manpower-planning model of H. P. Williams)
state their programs as named variables and readable constraints; this turns them into the
matrices HiGHS wants and the answer back into names. Contract: `solve()` never raises on an
infeasible or unbounded program, it reports `status` ("optimal", "infeasible", "unbounded",
"error") and the HiGHS message.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy.optimize import linprog

Sense = Literal["<=", ">=", "=="]


@dataclass
class LPResult:
    status: str
    objective: float | None
    values: dict[str, float]
    message: str


@dataclass
class LinearProgram:
    """Minimise sum(cost * x) subject to linear rows and bounds on each named variable."""

    names: list[str] = field(default_factory=list)
    bounds: list[tuple[float, float | None]] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)
    rows: list[tuple[dict[int, float], Sense, float]] = field(default_factory=list)

    def var(self, name: str, *, lb: float = 0.0, ub: float | None = None, cost: float = 0.0) -> int:
        """Add a variable and return its index; `ub=None` (or infinity) means unbounded above."""
        if name in self.names:
            raise ValueError(f"variable {name!r} defined twice")
        self.names.append(name)
        self.bounds.append((lb, None if ub is None or math.isinf(ub) else ub))
        self.cost.append(cost)
        return len(self.names) - 1

    def set_cost(self, index: int, cost: float) -> None:
        self.cost[index] = cost

    def add(self, coeffs: dict[int, float], sense: Sense, rhs: float) -> None:
        """Add the row sum(coeffs[i] * x_i) <sense> rhs."""
        self.rows.append((dict(coeffs), sense, float(rhs)))

    def solve(self) -> LPResult:
        n = len(self.names)
        a_ub, b_ub, a_eq, b_eq = [], [], [], []
        for coeffs, sense, rhs in self.rows:
            row = np.zeros(n)
            for i, c in coeffs.items():
                row[i] += c
            if sense == "==":
                a_eq.append(row)
                b_eq.append(rhs)
            elif sense == "<=":
                a_ub.append(row)
                b_ub.append(rhs)
            else:
                a_ub.append(-row)
                b_ub.append(-rhs)
        res = linprog(
            np.asarray(self.cost, dtype=float),
            A_ub=np.asarray(a_ub) if a_ub else None,
            b_ub=np.asarray(b_ub) if b_ub else None,
            A_eq=np.asarray(a_eq) if a_eq else None,
            b_eq=np.asarray(b_eq) if b_eq else None,
            bounds=self.bounds,
            method="highs",
        )
        status = {0: "optimal", 2: "infeasible", 3: "unbounded"}.get(res.status, "error")
        if status != "optimal":
            return LPResult(status, None, {}, res.message)
        return LPResult(status, float(res.fun), dict(zip(self.names, map(float, res.x), strict=True)), res.message)
