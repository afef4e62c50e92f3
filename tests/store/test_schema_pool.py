"""A PostgreSQL test's schema is cleaned after the test and given to a later one (`SchemaPool` in
tests/callup_test_support.py): the later test must find it exactly as a new one, and a schema whose structure a test
changed must never be handed out again."""

from __future__ import annotations

import pathlib
import sys
import threading
import time

import pytest
from sqlalchemy import text

from callup_test_support import POSTGRES_URL, SchemaPool, make_context, schema_url

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "campaigns"))

from test_store_templates import _described  # noqa: E402

from campaign_helpers import create, load_register  # noqa: E402

pytestmark = [pytest.mark.db, pytest.mark.postgres, pytest.mark.skipif(POSTGRES_URL is None, reason="no PostgreSQL server")]


@pytest.fixture
def pool(store_templates):
    """A pool of its own (the test decides which schema comes back), on the template of the test process."""
    script = store_templates._postgres_template()
    if script is None:
        pytest.skip("without pg_dump each store is migrated, not copied nor reused")
    pool = SchemaPool(script)
    yield pool
    pool.close()


def _dsn() -> str:
    from callup.store.urls import libpq_url

    return libpq_url(POSTGRES_URL)


def _namespace(pool: SchemaPool, schema: str) -> int | None:
    row = pool.connection().execute("SELECT oid FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
    return row and row[0]


def _sequences(url: str) -> dict:
    from callup.store.engine import connect

    with connect(url).connect() as conn:
        return dict(conn.execute(text("SELECT sequencename, last_value FROM pg_sequences"
                                      " WHERE schemaname = current_schema()")).all())


def _use(url: str, tmp_path: pathlib.Path) -> None:
    """What a store test does: import a register (a bulk job: many rows, ANALYZE), create a campaign, write audit
    entries and notes; then what no test should, and the cleaning must still undo (the schema's revision row,
    statistics of a small table)."""
    from callup.store import open_store
    from callup.store.engine import disconnect

    engine = open_store(url)
    ctx = make_context(url)
    load_register(ctx, tmp_path, people=1000)
    create(ctx, "spring-2027", quota=10)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO person_notes (national_id, author, note) VALUES ('P1', 'x', 'v1:k:AAAA')"))
        conn.execute(text("UPDATE alembic_version SET version_num = 'elsewhere'"))
        conn.execute(text("ANALYZE audit_log"))
        conn.execute(text("SELECT nextval('web_users_id_seq')"))
    disconnect(url)


def _changed(url: str, rows: dict) -> set[str]:
    """The tables whose rows are not `rows` (those of a new schema)."""
    from callup.store.engine import connect

    with connect(url).connect() as conn:
        got = conn.execute(text(" UNION ALL ".join(f"SELECT '{t}', (SELECT count(*) FROM \"{t}\")" for t in rows))).all()
        filled = {t: sorted(map(repr, conn.execute(text(f"SELECT * FROM {t}")).all())) for t in ("alembic_version", "audit_head")}
    return {t for t, n in got if n != len(rows[t])} | {t for t, now in filled.items() if now != rows[t]}


def _rows(described: dict) -> dict:
    return {name: table["rows"] for name, table in described.items() if isinstance(table, dict)}


def _statistics(url: str) -> dict:
    """What the planner knows of the schema's relations (rows and pages; -1 rows: never counted), and how many columns
    it has statistics for."""
    from callup.store.engine import connect

    with connect(url).connect() as conn:
        relations = dict(conn.execute(text("SELECT relname, (reltuples, relpages, relallvisible)::text FROM pg_class"
                                           " WHERE relnamespace = current_schema()::regnamespace")).all())
        columns = conn.execute(text("SELECT count(*) FROM pg_stats WHERE schemaname = current_schema()")).scalar_one()
    return {"relations": relations, "column statistics": columns}


def test_a_reused_schema_is_like_a_new_one(pool, tmp_path):
    from callup.store.engine import connect, disconnect

    schema, give_back = pool.take()
    url = schema_url(schema)
    new, new_statistics, oid = _described(connect(url)), _statistics(url), _namespace(pool, schema)
    rows = _rows(new)
    assert rows["alembic_version"] and rows["audit_head"]
    assert not any(rows[t] for t in rows if t not in ("alembic_version", "audit_head"))
    (tmp_path / "new").mkdir()
    _use(url, tmp_path / "new")
    numbered = _sequences(url)
    assert {"alembic_version", "audit_head", "audit_log", "campaigns", "people", "person_notes"} <= _changed(url, rows)
    disconnect(url)
    give_back()

    again, give_back = pool.take()
    assert _namespace(pool, again) == oid and again != schema  # the same schema, under a new name
    url = schema_url(again)
    assert _described(connect(url)) == new  # no rows but the migrations', the same catalog, sequences not yet used
    statistics = _statistics(url)
    if pool.superuser:  # (otherwise the indexes of emptied tables say -1 rows and 0 pages, as after any TRUNCATE)
        assert {name: (state, new_statistics["relations"].get(name)) for name, state in statistics["relations"].items()
                if state != new_statistics["relations"].get(name)} == {}
        assert statistics == new_statistics and statistics["column statistics"] == 0
    (tmp_path / "reused").mkdir()
    _use(url, tmp_path / "reused")
    assert _sequences(url) == numbered  # the same use numbers its rows as on the new schema
    disconnect(url)
    give_back()


def test_a_connection_left_open_on_a_schema_given_back_no_longer_finds_it(pool):
    import psycopg

    schema, give_back = pool.take()
    with psycopg.connect(_dsn(), autocommit=True, options=f"-csearch_path={schema}") as left:
        left.execute("INSERT INTO person_notes (national_id, author, note) VALUES ('P1', 'x', 'v1:k:AAAA')")
        give_back()
        with pytest.raises(psycopg.errors.UndefinedTable):
            left.execute("INSERT INTO person_notes (national_id, author, note) VALUES ('P2', 'x', 'v1:k:AAAA')")
    assert len(pool.idle) == 1


@pytest.mark.parametrize("change", [
    "ALTER TABLE person_notes ADD COLUMN extra text",
    "ALTER TABLE person_notes DROP COLUMN note",
    "ALTER TABLE campaigns ALTER COLUMN name TYPE text",
    "ALTER TABLE person_notes ALTER COLUMN author DROP NOT NULL",
    "ALTER TABLE person_notes ALTER COLUMN author SET DEFAULT 'x'",
    "CREATE TABLE person_notes_new (LIKE person_notes INCLUDING ALL); DROP TABLE person_notes CASCADE;"
    " ALTER TABLE person_notes_new RENAME TO person_notes",  # a restore's swap: same names, other tables
    "DROP TABLE reminder_opt_outs",
    "CREATE TABLE extra (id int)",
    "CREATE INDEX ON audit_log (action)",
    "ALTER TABLE web_sessions DISABLE TRIGGER web_sessions_ended",
    "ALTER SEQUENCE campaigns_id_seq INCREMENT BY 2",
    "CREATE FUNCTION extra() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "CREATE OR REPLACE FUNCTION callup_notify_sessions() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END'",
    "ALTER TABLE person_notes SET UNLOGGED",
])
def test_a_schema_whose_structure_changed_is_dropped_not_handed_out_again(pool, change):
    import psycopg

    schema, give_back = pool.take()
    oid = _namespace(pool, schema)
    with psycopg.connect(_dsn(), options=f"-csearch_path={schema}") as conn:
        conn.execute(change)
    give_back()
    assert pool.idle == [] and _namespace(pool, schema) is None
    assert pool.connection().execute("SELECT count(*) FROM pg_namespace WHERE oid = %s", (oid,)).fetchone()[0] == 0
    schema, give_back = pool.take()
    assert _namespace(pool, schema) != oid
    give_back()


@pytest.mark.parametrize("left_open", ["INSERT INTO person_notes (national_id, author, note) VALUES ('P1', 'x', 'v1:k:AAAA')",
                                       "LOCK TABLE person_notes IN ACCESS EXCLUSIVE MODE"])
def test_a_schema_still_written_to_is_dropped_once_free_not_cleaned(pool, left_open):
    import psycopg

    schema, give_back = pool.take()
    oid = _namespace(pool, schema)
    with psycopg.connect(_dsn(), autocommit=True) as watch, psycopg.connect(_dsn(), options=f"-csearch_path={schema}") as left:
        left.execute(left_open)  # in a transaction the test did not end
        giving = threading.Thread(target=give_back)
        giving.start()
        deadline = time.monotonic() + 30
        while not watch.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                                " AND query = %s", (f'DROP SCHEMA "{schema}" CASCADE',)).fetchone()[0]:
            assert time.monotonic() < deadline, "cleaning should give up after its lock timeout and drop the schema"
            time.sleep(0.05)
        assert giving.is_alive()  # dropping waits, as it always did
    giving.join(timeout=60)
    assert not giving.is_alive() and pool.idle == [] and _namespace(pool, schema) is None
    assert pool.connection().execute("SELECT count(*) FROM pg_namespace WHERE oid = %s", (oid,)).fetchone()[0] == 0


def _heard(listener, key: str, *, within: float) -> bool:  # noqa: ANN001
    """Whether a notice about session `key` comes within `within` seconds (other test processes send theirs too)."""
    return any(key in notice.payload for notice in listener.notifies(timeout=within))


def test_cleaning_sends_no_session_notice(pool):
    """Deleting web sessions tells the web workers listening on the database (migration 0033's triggers); a cleaning
    is no end of a session, and the workers of other test processes listen on the same database."""
    import psycopg

    from callup.store.engine import CHANGES_CHANNEL

    schema, give_back = pool.take()
    session = f"cleaned-{schema}"
    with psycopg.connect(_dsn(), autocommit=True) as listener, \
            psycopg.connect(_dsn(), autocommit=True, options=f"-csearch_path={schema}") as conn:
        listener.execute(f"LISTEN {CHANGES_CHANNEL}")
        conn.execute("INSERT INTO web_sessions (id, kind, created_at, expires_at) VALUES (%s, 'staff', now(), now())",
                     (session,))
        conn.execute("UPDATE web_sessions SET revoked_at = now()")  # the trigger is there: this one tells
        assert _heard(listener, session[:16], within=10)
        give_back()
        assert len(pool.idle) == 1
        assert not _heard(listener, session[:16], within=0.5)
