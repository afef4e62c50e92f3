"""Reading store URLs without SQLAlchemy (start-up paths and child tools use these)."""

from __future__ import annotations

import pathlib
from urllib.parse import parse_qsl, quote, urlencode


def sqlite_file(url: str) -> pathlib.Path | None:
    """The file of a `sqlite:///FILE` URL; None for another backend or an in-memory store."""
    if not url.startswith("sqlite:///"):
        return None
    name = url[len("sqlite:///"):].split("?", 1)[0]
    return pathlib.Path(name) if name and name != ":memory:" else None


def libpq_url(url: str) -> str | None:
    """A PostgreSQL URL (any SQLAlchemy driver) as the libpq connection string; None for another backend.

    SQLAlchemy reads a `+` in the query as a space (`options=-ca=1+-cb=2`) and writes spaces that way; libpq
    reads it as a plus sign, so the query is written again with `%20`.
    """
    for prefix in ("postgresql+psycopg://", "postgresql+psycopg2://", "postgresql://"):
        if url.startswith(prefix):
            rest, _, query = url[len(prefix):].partition("?")
            if query:
                rest += "?" + urlencode(parse_qsl(query, keep_blank_values=True), quote_via=quote)
            return "postgresql://" + rest
    return None
