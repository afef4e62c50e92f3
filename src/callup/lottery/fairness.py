"""Fairness check of any draw result: does the number depend on the birth date?

Three tests, each at significance level alpha / 3 (Bonferroni), so that a fair draw is
flagged with probability at most alpha overall:

1. Spearman rank correlation between birth date and number (a trend across the year);
2. Kruskal-Wallis test of the numbers grouped by birth month (some months systematically lower);
3. Pearson chi-square test of independence of birth month and number tercile (low / middle /
   high third of the numbers), robust to non-monotone patterns.

The draw is flagged when any test rejects. Works for our own draws (number = rank or
position) and historical ones (e.g. the US 1969 draft lottery in `examples/draws/`).
"""

from __future__ import annotations

import pathlib
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from callup.errors import InputError

DEFAULT_ALPHA = 0.01


@dataclass(frozen=True)
class MonthStat:
    month: int
    count: int
    mean: float
    sem: float


@dataclass(frozen=True)
class FairnessReport:
    n: int
    alpha: float
    spearman_rho: float
    spearman_p: float
    kruskal_h: float
    kruskal_p: float
    chi2: float
    chi2_dof: int
    chi2_p: float
    months: list[MonthStat] = field(default_factory=list)
    flagged: bool = False
    reasons: list[str] = field(default_factory=list)


def check_fairness(dates: np.ndarray, numbers: np.ndarray, *, alpha: float = DEFAULT_ALPHA) -> FairnessReport:
    """Test a draw for dependence between birth date and number.

    `dates` are numpy datetime64[D] values (any year; a year-less birthday is given in the leap
    year 2000); `numbers` are the drawn numbers or ranks (lower = called earlier).
    """
    dates = np.asarray(dates, dtype="datetime64[D]")
    numbers = np.asarray(numbers, dtype=np.float64)
    if dates.shape != numbers.shape or dates.ndim != 1:
        raise InputError("dates and numbers must be two columns of the same length")
    if len(dates) < 24:
        raise InputError(f"need at least 24 rows for a fairness check, got {len(dates)}")
    if not 0 < alpha < 1:
        raise InputError(f"significance level must be between 0 and 1, not {alpha}")
    if np.isnan(numbers).any():
        raise InputError("some numbers are missing (NaN): every row needs the number drawn")
    if np.unique(numbers).size < 2:
        raise InputError("every row has the same number: a draw that ranks nobody cannot be tested for fairness")
    month = (dates.astype("datetime64[M]").astype(np.int64) % 12) + 1
    ordinal = dates.astype(np.int64)
    rho, p_rho = stats.spearmanr(ordinal, numbers)
    groups = [numbers[month == m] for m in range(1, 13) if (month == m).any()]
    if len(groups) < 2:
        raise InputError("all birth dates fall in one month: nothing to compare")
    h, p_h = stats.kruskal(*groups)
    present = np.unique(month)
    chi2, p_chi, dof = _tercile_independence(np.searchsorted(present, month), len(present), numbers)
    months = []
    for m in range(1, 13):
        values = numbers[month == m]
        if len(values):
            sem = float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else float("nan")
            months.append(MonthStat(m, int(len(values)), float(values.mean()), sem))
    level = alpha / 3
    reasons = []
    if p_rho < level:
        reasons.append(f"Spearman rho = {rho:.3f} between birth date and number (p = {p_rho:.2g} < {level:.2g})")
    if p_h < level:
        reasons.append(f"numbers differ by birth month, Kruskal-Wallis H = {h:.1f} (p = {p_h:.2g} < {level:.2g})")
    if p_chi < level:
        reasons.append(f"birth month and number tercile are dependent, chi-square = {chi2:.1f} on {dof} df (p = {p_chi:.2g} < {level:.2g})")
    return FairnessReport(
        n=int(len(numbers)),
        alpha=alpha,
        spearman_rho=float(rho),
        spearman_p=float(p_rho),
        kruskal_h=float(h),
        kruskal_p=float(p_h),
        chi2=float(chi2),
        chi2_dof=int(dof),
        chi2_p=float(p_chi),
        months=months,
        flagged=bool(reasons),
        reasons=reasons,
    )


@dataclass(frozen=True)
class BatchStat:
    batch: int
    count: int
    mean: float


@dataclass(frozen=True)
class ImportOrderReport:
    """Does the number depend on when people entered the register (the 2012 US Diversity Visa failure)?

    `batches` are import batches (registration days) in the order they were imported. Three tests,
    each at alpha / 3: Spearman correlation of import order (the batch's place in that order) and
    number; Kruskal-Wallis test of the numbers grouped by batch; chi-square test of independence
    of batch and number tercile.
    """

    n: int
    alpha: float
    batches: int
    spearman_rho: float
    spearman_p: float
    kruskal_h: float
    kruskal_p: float
    chi2: float
    chi2_dof: int
    chi2_p: float
    by_batch: list[BatchStat] = field(default_factory=list)
    flagged: bool = False
    reasons: list[str] = field(default_factory=list)


def check_import_order(batches: np.ndarray, numbers: np.ndarray, *, alpha: float = DEFAULT_ALPHA) -> ImportOrderReport | None:
    """Test a draw for dependence between import order (batch) and number; None when everyone is in one batch."""
    batches = np.asarray(batches, dtype=np.int64)
    numbers = np.asarray(numbers, dtype=np.float64)
    if batches.shape != numbers.shape or batches.ndim != 1:
        raise InputError("import batches and numbers must be two columns of the same length")
    present, group = np.unique(batches, return_inverse=True)
    if len(present) < 2 or len(numbers) < 24 or np.unique(numbers).size < 2:
        return None
    rho, p_rho = stats.spearmanr(group, numbers)
    h, p_h = stats.kruskal(*[numbers[group == g] for g in range(len(present))])
    chi2, p_chi, dof = _tercile_independence(group, len(present), numbers)
    counts = np.bincount(group)
    means = np.bincount(group, weights=numbers) / counts
    level = alpha / 3
    reasons = []
    if p_rho < level:
        reasons.append(f"Spearman rho = {rho:.3f} between import order and number (p = {p_rho:.2g} < {level:.2g}): people "
                       f"{'imported earlier' if rho > 0 else 'imported later'} are called first")
    if p_h < level:
        reasons.append(f"numbers differ by import batch, Kruskal-Wallis H = {h:.1f} (p = {p_h:.2g} < {level:.2g})")
    if p_chi < level:
        reasons.append(f"import batch and number tercile are dependent, chi-square = {chi2:.1f} on {dof} df "
                       f"(p = {p_chi:.2g} < {level:.2g})")
    return ImportOrderReport(
        n=int(len(numbers)), alpha=alpha, batches=int(len(present)), spearman_rho=float(rho), spearman_p=float(p_rho),
        kruskal_h=float(h), kruskal_p=float(p_h), chi2=float(chi2), chi2_dof=int(dof), chi2_p=float(p_chi),
        by_batch=[BatchStat(int(b), int(c), float(m)) for b, c, m in zip(present, counts, means, strict=True)],
        flagged=bool(reasons), reasons=reasons)


def _tercile_independence(group: np.ndarray, groups: int, numbers: np.ndarray) -> tuple[float, float, int]:
    """Chi-square test of independence of group (0 .. groups-1) and number tercile: (chi2, p, dof)."""
    ranks = stats.rankdata(numbers, method="ordinal")
    tercile = np.minimum((3 * (ranks - 1)) // len(ranks), 2).astype(np.int64)
    table = np.zeros((groups, 3))
    np.add.at(table, (group, tercile), 1)
    chi2, p, dof, _ = stats.chi2_contingency(table, correction=False)
    return float(chi2), float(p), int(dof)


def parse_dates(values: list[str], *, source: str, column: str) -> np.ndarray:
    """ISO dates `YYYY-MM-DD` or year-less birthdays `--MM-DD` (placed in the leap year 2000)."""
    out = np.empty(len(values), dtype="datetime64[D]")
    for i, text in enumerate(values):
        text = (text or "").strip()
        candidate = "2000" + text[1:] if text.startswith("--") else text
        try:
            out[i] = np.datetime64(candidate, "D")
            if len(candidate) != 10:
                raise ValueError
        except ValueError:
            raise InputError(f"{source}, line {i + 2}, column {column!r}: {text!r} is not a date (YYYY-MM-DD or --MM-DD)") from None
    return out


def read_draw_csv(path: str | pathlib.Path, date_col: str, number_col: str) -> tuple[np.ndarray, np.ndarray]:
    """Read the birth-date and number columns of a draw result CSV; errors name file, line and column."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    path = pathlib.Path(path)
    try:
        table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types={date_col: pa.string(), number_col: pa.string()}))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{path}: cannot read CSV: {exc}") from None
    for col in (date_col, number_col):
        if col not in table.column_names:
            raise InputError(f"{path}: no column {col!r} (columns: {', '.join(table.column_names)})")
    dates = parse_dates(table.column(date_col).to_pylist(), source=str(path), column=date_col)
    raw = table.column(number_col).to_pylist()
    numbers = np.empty(len(raw))
    for i, text in enumerate(raw):
        try:
            numbers[i] = float(text)
        except (TypeError, ValueError):
            raise InputError(f"{path}, line {i + 2}, column {number_col!r}: {text!r} is not a number") from None
    return dates, numbers


def plot_fairness(dates: np.ndarray, numbers: np.ndarray, report: FairnessReport, path: str | pathlib.Path, *,
                  title: str = "Draw number by birth date") -> pathlib.Path:
    """PNG: numbers against day of year, with monthly means and their standard errors."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dates = np.asarray(dates, dtype="datetime64[D]")
    day = (dates - dates.astype("datetime64[Y]")).astype(np.int64) + 1
    fig, ax = plt.subplots(figsize=(9, 5), dpi=100)
    step = max(1, len(day) // 20000)
    ax.scatter(day[::step], np.asarray(numbers)[::step], s=4, alpha=0.4, color="tab:gray", label="draws")
    mids = [15 + 30.4 * (m.month - 1) for m in report.months]
    ax.errorbar(mids, [m.mean for m in report.months], yerr=[2 * m.sem for m in report.months], fmt="o-", color="tab:red", label="monthly mean ± 2 s.e.")
    ax.set_xlabel("day of year of birth")
    ax.set_ylabel("number drawn")
    verdict = "FLAGGED" if report.flagged else "no dependence found"
    ax.set_title(f"{title}\nSpearman rho {report.spearman_rho:.3f} (p {report.spearman_p:.2g}), Kruskal-Wallis p {report.kruskal_p:.2g}: {verdict}")
    ax.legend(loc="upper right")
    fig.tight_layout()
    path = pathlib.Path(path)
    fig.savefig(path)
    plt.close(fig)
    return path
