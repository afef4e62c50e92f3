"""Date parsing for command-line options, with errors that name the option."""

from __future__ import annotations

import datetime as dt

from callup.errors import InputError


def parse_date(value: str | None, *, option: str, default: dt.date | None = None) -> dt.date:
    """Parse YYYY-MM-DD; `None` gives `default` (today when not given)."""
    if value is None:
        return default or dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option}: {value!r} is not a date (expected YYYY-MM-DD)") from None
