"""The store: SQLAlchemy tables, Alembic migrations, engines and transactions.

SQLite (a `callup.db` file in the working directory) by default; any other database through
`CALLUP_DATABASE_URL`, e.g. `postgresql+psycopg://user@host/db` (read at the edge, see
`callup.environment`). Nothing is imported here eagerly: a command that only needs the schema
revision does not pay for SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine


def open_store(url: str) -> Engine:
    """Connect to the store at `url` and bring its schema up to date (tests and deploy steps)."""
    from callup.store.engine import connect
    from callup.store.migrate import upgrade

    engine = connect(url)
    upgrade(engine)
    return engine


__all__ = ["open_store"]
