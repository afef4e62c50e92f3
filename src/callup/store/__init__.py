"""The store: SQLAlchemy tables, Alembic migrations, engines and transactions.

SQLite (a `callup.db` file in the working directory) by default; any other database through
`CALLUP_DATABASE_URL`, e.g. `postgresql+psycopg://user@host/db`. Everything else talks to the
database through this package.
"""

from callup.store.engine import connect, database_url, is_postgres, is_sqlite

__all__ = ["connect", "database_url", "is_postgres", "is_sqlite"]


def open_store(url: str | None = None):  # noqa: ANN201 - returns sqlalchemy.Engine
    """Connect to the configured store and bring its schema up to date."""
    from callup.store.migrate import upgrade

    engine = connect(url)
    upgrade(engine)
    return engine


__all__ += ["open_store"]
