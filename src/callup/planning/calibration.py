"""Yields per person called, derived from a table of campaign outcome counts per region.

Why: a campaign inducts only part of those it calls (notices not delivered, no-shows,
unfit, deferred, exempted, alternative service). The solver and campaign creation need "how
many must be called to induct N"; the answer is N divided by the induction yield measured on
past campaigns.

Outcomes CSV (UTF-8, comma-separated, header row; one row per campaign and region; the
campaign report of case work writes exactly this format)::

    campaign,region,called,delivered,appeared,fitness_A,fitness_B,fitness_C,fitness_D,fitness_E,deferred,exempted,alternative_service,inducted

* `campaign`, `region`: codes (text); each pair at most once.
* `called`: people sent a call-up notice (> 0); every other column counts some of them.
* `delivered` <= `called`: notices served; `appeared` <= `delivered`: people who came.
* `fitness_<CODE>`: people of fitness category CODE among those examined; one or more such
  columns, any codes (sum <= `appeared`).
* `deferred`, `exempted`, `alternative_service`, `inducted`: case outcomes; together <= `called`;
  `inducted` <= `appeared`.

A yield is the column total divided by the total called, over all rows or per region or
campaign. The induction yield gets a 95% Wilson interval so that a thin history shows.
"""

from __future__ import annotations

import csv
import math
import os
import pathlib
from dataclasses import dataclass
from typing import Any

from callup.errors import InputError

KEYS = ("campaign", "region")
REQUIRED = ("called", "delivered", "appeared", "deferred", "exempted", "alternative_service", "inducted")
OUTCOMES = ("deferred", "exempted", "alternative_service", "inducted")
FITNESS_PREFIX = "fitness_"


@dataclass
class Calibration:
    source: str
    rows: int
    measures: list[str]  # yield names in display order
    overall: dict[str, float]  # measure -> yield per person called
    called: int
    by_region: dict[str, dict[str, float]]
    by_campaign: dict[str, dict[str, float]]
    induction_interval: tuple[float, float]

    @property
    def induction_yield(self) -> float:
        return self.overall["inducted"]

    @property
    def called_per_inductee(self) -> float:
        """The over-call factor: people to call for each person to induct."""
        return math.inf if self.induction_yield == 0 else 1.0 / self.induction_yield


def calls_needed(inductees: float, induction_yield: float) -> int:
    """Smallest whole number of people to call so that, at this yield, `inductees` are inducted."""
    if not 0 < induction_yield <= 1:
        raise InputError(f"induction yield must be in (0, 1], got {induction_yield:g}")
    return math.ceil(inductees / induction_yield - 1e-9)


def wilson_interval(successes: int, trials: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """95% Wilson score interval for a binomial proportion."""
    if trials == 0:
        return (0.0, 1.0)
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def _count(path: pathlib.Path, line: int, column: str, text: str) -> int:
    try:
        value = int(text.strip().replace("_", ""))
    except ValueError:
        raise InputError(f"{path}: line {line}: {column}: must be a whole number, got {text!r}") from None
    if value < 0:
        raise InputError(f"{path}: line {line}: {column}: must not be negative, got {value}")
    return value


def read_outcomes(path: str | os.PathLike[str]) -> tuple[list[str], list[dict[str, Any]]]:
    """Read and check an outcomes CSV; returns the fitness columns and the rows (counts as int)."""
    path = pathlib.Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InputError(f"{path}: cannot read outcomes file ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not header:
        raise InputError(f"{path}: empty file, expected a header row: {','.join((*KEYS, *REQUIRED[:3]))},fitness_...,{','.join(OUTCOMES)}")
    missing = [c for c in (*KEYS, *REQUIRED) if c not in header]
    if missing:
        raise InputError(f"{path}: line 1: missing column(s): {', '.join(missing)}")
    fitness = [h for h in header if h.startswith(FITNESS_PREFIX) and len(h) > len(FITNESS_PREFIX)]
    if not fitness:
        raise InputError(f"{path}: line 1: no fitness columns: add one column per fitness category, e.g. fitness_A")
    unknown = [h for h in header if h not in (*KEYS, *REQUIRED) and h not in fitness]
    if unknown:
        raise InputError(f"{path}: line 1: unknown column(s): {', '.join(unknown)}")
    if len(set(header)) != len(header):
        raise InputError(f"{path}: line 1: repeated column names")
    reader.fieldnames = header

    rows: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], int] = {}
    for line, raw in enumerate(reader, start=2):
        if None in raw or any(v is None for v in raw.values()):
            raise InputError(f"{path}: line {line}: expected {len(header)} fields")
        campaign, region = raw["campaign"].strip(), raw["region"].strip()
        for key, value in (("campaign", campaign), ("region", region)):
            if not value:
                raise InputError(f"{path}: line {line}: {key}: must not be empty")
        if (campaign, region) in seen:
            raise InputError(f"{path}: line {line}: campaign {campaign} region {region} repeats line {seen[campaign, region]}")
        seen[campaign, region] = line
        counts: dict[str, int] = {}  # checked before they join the row
        for column in (*REQUIRED, *fitness):
            counts[column] = _count(path, line, column, raw[column])
        called = counts["called"]
        checks = [
            (called > 0, "called: must be positive"),
            (counts["delivered"] <= called, f"delivered ({counts['delivered']}) exceeds called ({called})"),
            (counts["appeared"] <= counts["delivered"], f"appeared ({counts['appeared']}) exceeds delivered ({counts['delivered']})"),
            (sum(counts[f] for f in fitness) <= counts["appeared"],
             f"fitness categories add up to {sum(counts[f] for f in fitness)}, more than appeared ({counts['appeared']})"),
            (counts["inducted"] <= counts["appeared"], f"inducted ({counts['inducted']}) exceeds appeared ({counts['appeared']})"),
            (sum(counts[o] for o in OUTCOMES) <= called,
             f"deferred + exempted + alternative_service + inducted = {sum(counts[o] for o in OUTCOMES)}, more than called ({called})"),
        ]
        for ok, problem in checks:
            if not ok:
                raise InputError(f"{path}: line {line}: {problem}")
        rows.append({"campaign": campaign, "region": region, **counts})
    if not rows:
        raise InputError(f"{path}: no data rows")
    return fitness, rows


def _yields(rows: list[dict[str, Any]], measures: list[str]) -> dict[str, float]:
    called = sum(r["called"] for r in rows)
    return {m: sum(r[m] for r in rows) / called for m in measures}


def calibrate(path: str | os.PathLike[str]) -> Calibration:
    """Yields per person called, overall and per region and campaign."""
    fitness, rows = read_outcomes(path)
    return calibrate_rows(fitness, rows, source=str(path))


def calibrate_rows(fitness: list[str], rows: list[dict[str, Any]], *, source: str) -> Calibration:
    """Yields from outcome rows already read (a file's, or the store's closed campaigns'); `rows` must not be empty."""
    measures = ["delivered", "appeared", *fitness, *OUTCOMES]
    called = sum(r["called"] for r in rows)
    inducted = sum(r["inducted"] for r in rows)
    by_region = {k: _yields([r for r in rows if r["region"] == k], measures) for k in dict.fromkeys(r["region"] for r in rows)}
    by_campaign = {k: _yields([r for r in rows if r["campaign"] == k], measures) for k in dict.fromkeys(r["campaign"] for r in rows)}
    return Calibration(
        source=source,
        rows=len(rows),
        measures=measures,
        overall=_yields(rows, measures),
        called=called,
        by_region=by_region,
        by_campaign=by_campaign,
        induction_interval=wilson_interval(inducted, called),
    )
