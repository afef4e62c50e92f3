"""The migrations create exactly the tables the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from callup.store.registry import Base


def test_migrations_match_the_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_the_schema_head_constant_names_the_newest_migration():
    from callup.store.migrate import SCHEMA_HEAD, head_revision

    assert SCHEMA_HEAD == head_revision()


def test_every_table_pickles_for_the_bulk_jobs_run_in_a_child_process():
    """On SQLite a bulk job (eligibility, the freeze) runs in a child process and is handed what it needs
    by pickling: a table with an unnamed function in a column's type made `register eligible` an internal error."""
    import pickle

    from callup.store.registry import metadata

    for table in metadata.sorted_tables:
        pickle.dumps(table)
