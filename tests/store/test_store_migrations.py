"""The migrations create exactly the tables the models describe."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from callup.store.registry import Base
from callup_test_support import BACKENDS, POSTGRES_URL, make_store_url


@pytest.fixture(params=BACKENDS)
def migrated(request, tmp_path):
    """A store migrated here, from empty (the `engine` fixture's store is a copy of one migrated earlier)."""
    from callup.store import open_store
    from callup.store.engine import connect, disconnect

    url, drop = make_store_url(request.param, tmp_path)
    yield open_store(url)
    disconnect(url)
    connect.cache_clear()
    drop()


def test_migrations_match_the_models(migrated):
    with migrated.connect() as conn:
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


def _insert(conn, table, **values):  # noqa: ANN001, ANN202
    """Insert a row into the reflected `table`, filling the required columns not given with plain values."""
    import datetime as dt

    import sqlalchemy as sa

    for column in table.columns:
        own_id = column.primary_key and len(table.primary_key.columns) == 1  # numbered by the store
        if column.name in values or column.nullable or column.server_default is not None or own_id:
            continue
        kind = column.type.python_type if not isinstance(column.type, sa.Enum) else str
        values[column.name] = {int: 1, str: "x", dt.date: dt.date(2027, 1, 1), dt.datetime: dt.datetime(2027, 1, 1),
                               dt.time: dt.time(9), bool: False, bytes: b"x"}.get(kind, "x")
    conn.execute(table.insert().values(**values))


def test_migration_0028_tells_the_calls_of_people_already_inducted(tmp_path):
    """Calls learn when their person was inducted: existing service records carry over, others stay empty."""
    import datetime as dt

    import sqlalchemy as sa

    from callup.store.migrate import upgrade

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0027")
    tables = sa.MetaData()
    tables.reflect(engine)
    inducted = dt.datetime(2027, 4, 2, 9, 30)
    with engine.begin() as conn:
        _insert(conn, tables.tables["campaigns"], id=1, name="spring-2027", status="drawn")
        for national_id in ("A1", "B2"):
            _insert(conn, tables.tables["campaign_calls"], campaign_id=1, national_id=national_id, source="draw")
        _insert(conn, tables.tables["service_records"], campaign_id=1, national_id="A1", service_status="conscript",
                inducted_at=inducted)
        _insert(conn, tables.tables["service_records"], campaign_id=1, national_id="A1", service_status="contract",
                inducted_at=inducted + dt.timedelta(days=90))
    upgrade(engine)
    with engine.connect() as conn:
        rows = dict(conn.execute(sa.text("SELECT national_id, inducted_at FROM campaign_calls")).all())
    engine.dispose()
    assert rows == {"A1": "2027-04-02 09:30:00.000000", "B2": None}


def test_migration_0029_keeps_which_no_shows_case_work_resolved(tmp_path):
    """A no-show whose case (opened since it was recorded) is resolved stays off the follow-up list after the migration;
    one with an open case, or a case opened before it was recorded again, stays on it."""
    import datetime as dt

    import sqlalchemy as sa

    from callup.store.migrate import upgrade

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0028")
    tables = sa.MetaData()
    tables.reflect(engine)
    recorded, opened, decided = dt.datetime(2027, 4, 2, 17), dt.datetime(2027, 4, 3, 9), dt.datetime(2027, 4, 5, 11)
    with engine.begin() as conn:
        _insert(conn, tables.tables["campaigns"], id=1, name="spring-2027", status="drawn")
        for n, (national_id, state, case_opened) in enumerate([("A1", "excused", opened), ("B2", "open", opened),
                                                                ("C3", "excused", recorded - dt.timedelta(days=1))]):
            _insert(conn, tables.tables["summonses"], campaign_id=1, national_id=national_id, reference=f"R{n}", status="delivered",
                    appearance="no_show", appearance_at=recorded)
            _insert(conn, tables.tables["cases"], campaign_id=1, national_id=national_id, kind="no_show", state=state,
                    opened_at=case_opened, updated_at=decided)
    upgrade(engine)
    with engine.connect() as conn:
        rows = dict(conn.execute(sa.text("SELECT national_id, no_show_resolved_at FROM summonses")).all())
    engine.dispose()
    assert rows == {"A1": "2027-04-05 11:00:00.000000", "B2": None, "C3": None}


def test_migration_0030_carries_over_who_case_decisions_and_inductions_keep_out_of_the_pool(tmp_path):
    import datetime as dt

    import sqlalchemy as sa

    from callup.store.migrate import upgrade

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0029")
    tables = sa.MetaData()
    tables.reflect(engine)
    with engine.begin() as conn:
        _insert(conn, tables.tables["campaigns"], id=1, name="spring-2027", status="drawn")
        for case_id, (national_id, kind, state, until) in enumerate([
                ("A1", "deferral", "granted", dt.date(2028, 6, 30)), ("B2", "exemption", "granted", None),
                ("C3", "deferral", "refused", None), ("D4", "medical", "temporarily_unfit", dt.date(2027, 10, 1)),
                ("E5", "civilian_service", "assigned", None), ("F6", "medical", "open", None)], start=1):
            _insert(conn, tables.tables["cases"], id=case_id, campaign_id=1, national_id=national_id, kind=kind, state=state,
                    until=until)
        _insert(conn, tables.tables["service_records"], campaign_id=1, national_id="G7", service_status="conscript")
        _insert(conn, tables.tables["service_records"], campaign_id=1, national_id="G7", service_status="contract")
    upgrade(engine)
    with engine.connect() as conn:
        held = set(conn.execute(sa.text("SELECT national_id, source, until FROM pool_holds")).all())
    engine.dispose()
    assert held == {("A1", "case 1", "2028-06-30"), ("B2", "case 2", None), ("D4", "case 4", "2027-10-01"),
                    ("E5", "case 5", None), ("G7", "induction 1", None)}


def test_migration_0037_keeps_a_stopped_simulation_s_people_in_their_phase(tmp_path):
    """A run stopped part-way resumes where it was: the phases from the appearances on move up by one for the new
    phase of appeals against refused applications (delivery and applications keep their numbers)."""
    import sqlalchemy as sa

    from callup.simulation.responses import APPEARANCE, APPLICATION, DELIVERY, EXAMINATION, FINISHED, INDUCTION, REVIEW
    from callup.store.migrate import upgrade

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0036")
    tables = sa.MetaData()
    tables.reflect(engine)
    with engine.begin() as conn:
        _insert(conn, tables.tables["campaigns"], id=1, name="spring-2027", status="drawn")
        for phase in range(7):  # 0036's delivery, application, appearance, examination, review, induction, finished
            _insert(conn, tables.tables["simulated_people"], campaign_id=1, national_id=f"P{phase}", round=1, phase=phase)
    upgrade(engine)
    with engine.connect() as conn:
        phases = dict(conn.execute(sa.text("SELECT national_id, phase FROM simulated_people")).all())
    engine.dispose()
    assert phases == {"P0": DELIVERY, "P1": APPLICATION, "P2": APPEARANCE, "P3": EXAMINATION, "P4": REVIEW,
                      "P5": INDUCTION, "P6": FINISHED}
