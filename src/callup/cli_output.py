"""Shared CLI output: Rich for people, one JSON document for scripts.

Commands build a plain, JSON-serialisable result and hand it to `emit`, together with a
function that renders it for a terminal. With `--json`, stdout carries exactly one JSON
document and nothing else (progress and notes go to stderr).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import json
import math
import pathlib
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class _LazyConsole:
    """A Rich console created on first use: importing Rich costs more than most commands' own work."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            console = Console(**self._options)
            if not console.is_terminal:  # a file or a pipe: wide enough that no table column is cut
                console = Console(**self._options, width=max(console.width, 200))
            self._console = console
        return getattr(self._console, name)


console: Any = _LazyConsole()
err_console: Any = _LazyConsole(stderr=True)


def _default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, (pathlib.Path, decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, enum.Enum):
        return value.value
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def _finite(value: Any) -> Any:
    """`value` with every NaN or infinite float replaced by null: JSON has no NaN (a statistic that
    cannot be computed, e.g. a correlation of constant numbers, is shown as null)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def to_json(data: Any) -> str:
    """One JSON document (RFC 8259: no NaN or Infinity)."""
    def default(value: Any) -> Any:
        return _finite(_default(value))

    return json.dumps(_finite(data), default=default, ensure_ascii=False, indent=2, allow_nan=False)


def when(value: Any) -> str:
    """An instant as a person reads it: `2027-02-03 09:00 UTC` (no seconds or microseconds); dates as
    YYYY-MM-DD; None as empty; ISO text is read first."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return f"{value:%Y-%m-%d %H:%M} UTC"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def emit(data: Any, *, as_json: bool, render: Callable[[Any], object] | None = None) -> None:
    """Print `data` as JSON on stdout, or render it for a person."""
    if as_json or render is None:
        sys.stdout.write(to_json(data) + "\n")
    else:
        render(data)


@contextmanager
def progress(description: str, total: int | None, *, quiet: bool = False) -> Iterator[Callable[[int], None]]:
    """A Rich progress bar on stderr; yields `advance(n)`. Silent when `quiet` or not a terminal."""
    if quiet or not err_console.is_terminal:
        yield lambda n: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=err_console._console, transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)
