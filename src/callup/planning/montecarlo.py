"""Monte Carlo over uncertain rates and intakes: percentile bands and the chance of meeting targets.

Each run is one possible world: its uncertain rates are drawn once from the scenario's
distributions, each campaign's fulfilment (share of the quota actually inducted) is drawn per
campaign, recruitment is a Poisson count each month, and every flow between categories is a
binomial (multinomial across routes) draw on whole people. Runs are vectorised: the state is an
array with one row per run, so 10,000 runs of 36 months take about a second (see
bench/bench_planning.py and BENCHMARKS.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from callup.errors import InputError
from callup.planning.model import CATEGORIES, RECRUITED, binomial_split, occurrences, parameters, simulate
from callup.planning.scenario import Scenario, Uncertain

PERCENTILES = (5, 25, 50, 75, 95)


def _given(u: Uncertain, value: float | None) -> float:
    if value is None:  # (a scenario's validation refuses a distribution without its parameters)
        raise InputError(f"{u.dist} distribution of {u.parameter} is missing a parameter", field="uncertainty")
    return value


def draw(u: Uncertain, rng: np.random.Generator, size: int | tuple[int, ...]) -> np.ndarray:
    """Draw `size` values of one uncertain input; rates are kept in [0, 1], counts non-negative."""
    if u.dist == "uniform":
        values = rng.uniform(_given(u, u.low), _given(u, u.high), size)
    elif u.dist == "triangular":
        low, high = _given(u, u.low), _given(u, u.high)
        values = np.full(size, low) if low == high else rng.triangular(low, _given(u, u.mode), high, size)
    else:
        values = rng.normal(_given(u, u.mean), _given(u, u.sd), size)
    values = np.maximum(values, 0.0)
    if u.parameter.endswith("_monthly") and not u.parameter.endswith("recruitment_monthly"):
        values = np.minimum(values, 1.0)
    if u.parameter == "conscripts.conversion_at_term_end":
        values = np.minimum(values, 1.0)
    return values


def _spread(total: np.ndarray, parts: int) -> np.ndarray:
    """Split whole numbers into `parts` near-equal whole parts, shape (runs, parts)."""
    base = total // parts
    extra = total - base * parts
    parted: np.ndarray = base[:, None] + (np.arange(parts)[None, :] < extra[:, None])
    return parted


@dataclass
class MonteCarlo:
    """Percentile bands per month and the probability of meeting each target at its deadline."""

    runs: int
    seed: int
    percentiles: tuple[int, ...]
    bands: dict[str, np.ndarray]  # series -> (len(percentiles), months+1)
    mean: dict[str, np.ndarray]  # series -> (months+1,)
    probability: dict[str, float]  # "total", "active", "all" -> share of runs meeting the target(s)
    final: dict[str, np.ndarray]  # series -> values at the deadline, one per run


def run(scenario: Scenario, months: int | None = None, runs: int = 10_000, seed: int = 0) -> MonteCarlo:
    """Simulate `runs` worlds of `months` months; same seed, same answer."""
    if seed < 0:  # numpy's generators take seeds >= 0 only
        raise InputError(f"--seed: must be zero or more, got {seed}", field="seed")
    months = months or scenario.months
    rng = np.random.default_rng(seed)
    uncertain = {u.parameter: u for u in scenario.uncertainty}

    params = parameters(scenario, runs)
    for parameter, u in uncertain.items():
        if parameter in params:
            params[parameter] = draw(u, rng, runs)

    found = occurrences(scenario, months)
    fulfilment = draw(uncertain["campaigns.fulfilment"], rng, (runs, len(found))) if "campaigns.fulfilment" in uncertain else np.ones((runs, len(found)))
    intake = np.zeros((runs, months + 1), dtype=np.int64)
    for j, occ in enumerate(found):
        campaign = scenario.campaigns[occ.index]
        inducted = np.rint(campaign.quota * fulfilment[:, j]).astype(np.int64)
        parts = _spread(inducted, campaign.spread_months)
        for k, m in enumerate(occ.months):
            intake[:, m] += parts[:, k]

    recruitment = {}
    for name in RECRUITED:
        key = f"{name}.recruitment_monthly"
        if key in uncertain:
            means = draw(uncertain[key], rng, runs)
            counts = rng.poisson(np.broadcast_to(means[:, None], (runs, months + 1)))
        else:
            counts = np.full((runs, months + 1), int(round(getattr(scenario, name).recruitment_monthly)), dtype=np.int64)
        counts[:, 0] = 0
        recruitment[name] = counts.astype(np.int64)

    traj = simulate(scenario, months, params, intake, recruitment, binomial_split(rng), integer=True)

    series = {**traj.stocks, "active": traj.active, "total": traj.total}
    bands = {name: np.percentile(values, PERCENTILES, axis=0) for name, values in series.items()}
    mean = {name: values.mean(axis=0) for name, values in series.items()}

    probability: dict[str, float] = {}
    final: dict[str, np.ndarray] = {}
    targets = scenario.targets
    if targets is not None:
        deadline = min(targets.by_month, months)
        met_all = np.ones(runs, dtype=bool)
        for name in ("total", "active"):
            goal = getattr(targets, name)
            if goal is None:
                continue
            at = series[name][:, deadline]
            final[name] = at
            met = at >= goal
            met_all &= met
            probability[name] = float(met.mean())
        if final:
            probability["all"] = float(met_all.mean())
    return MonteCarlo(runs, seed, PERCENTILES, {k: bands[k] for k in (*CATEGORIES, "active", "total")}, mean, probability, final)
