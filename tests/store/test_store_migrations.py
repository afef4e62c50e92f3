"""The migrations create exactly the tables the models describe."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from callup.store.registry import Base
from callup_test_support import POSTGRES_URL, make_store_url


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


@pytest.mark.db
@pytest.mark.skipif(POSTGRES_URL is None, reason="the job queue needs PostgreSQL")
def test_db_upgrade_on_postgresql_creates_the_stores_schema_and_the_job_queues(tmp_path, monkeypatch):
    from sqlalchemy import create_engine, text
    from typer.testing import CliRunner

    from callup.cli import app
    from callup.store.migrate import SCHEMA_HEAD

    url, drop = make_store_url("postgres", tmp_path)
    engine = create_engine(url)
    try:
        monkeypatch.setenv("CALLUP_DATABASE_URL", url)
        result = CliRunner().invoke(app, ["db", "upgrade"])
        assert result.exit_code == 0, result.output
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == SCHEMA_HEAD
            assert conn.execute(text("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")).scalar()
    finally:
        engine.dispose()
        drop()
