"""Reading store URLs without SQLAlchemy (start-up paths and child tools use these)."""

from __future__ import annotations

import pathlib


def sqlite_file(url: str) -> pathlib.Path | None:
    """The file of a `sqlite:///FILE` URL; None for another backend or an in-memory store."""
    if not url.startswith("sqlite:///"):
        return None
    name = url[len("sqlite:///"):].split("?", 1)[0]
    return pathlib.Path(name) if name and name != ":memory:" else None


def libpq_url(url: str) -> str | None:
    """A PostgreSQL URL (any SQLAlchemy driver) as the libpq connection string; None for another backend."""
    for prefix in ("postgresql+psycopg://", "postgresql+psycopg2://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix):]
    return None
