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


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months later (or earlier); the month's last day where it is shorter."""
    import calendar

    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))
