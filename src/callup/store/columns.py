"""Column values in the one form services compare and show, however they were read.

Through the typed tables SQLAlchemy gives an enum column's member and a date column's `date`;
through raw SQL, a bulk (Arrow) read or SQLite text the same columns come back as plain text.
Services decode with these two functions instead of guessing at each place.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, overload

__all__ = ["as_date", "enum_value"]


def enum_value(value: Any) -> Any:
    """The stored text of an enum column: the member's value, or the text as read (None stays None)."""
    return value.value if isinstance(value, enum.Enum) else value


@overload
def as_date(value: dt.date | str) -> dt.date: ...
@overload
def as_date(value: Any) -> dt.date | None: ...


def as_date(value: Any) -> dt.date | None:
    """A date column's value as a `date`: from a date, a datetime (its date) or ISO text; None stays None."""
    if value is None or isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    return dt.date.fromisoformat(str(value)[:10])
