"""A test's store is a copy of a store migrated once per test process (tests/conftest.py): the copy
must be exactly what migrating an empty store gives, so that no test sees anything a migration would not make."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import inspect, select, text

from callup_test_support import BACKENDS, make_store_url


def _plain(value) -> str:  # noqa: ANN001
    """`value` as text, SQL expressions (a partial index's condition) as their SQL."""
    if isinstance(value, dict):
        return repr(sorted((k, _plain(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return repr([_plain(v) for v in value])
    return value if isinstance(value, str) else repr(value) if isinstance(value, int | float | bool | None) else str(value)


def _expression(sql: str) -> str:
    """A PostgreSQL definition without its casts, brackets and spaces: the server prints a check it re-read from
    the dump (`ARRAY[('a'::character varying)::text]`) otherwise than the one it was given (`ARRAY['a'::character
    varying]::text[]`), the same test on the same values."""
    return re.sub(r"[()\s]", "", re.sub(r"::[a-z ]+(\[\])?", "", sql))


def _described(engine) -> dict:  # noqa: ANN001
    """Every table's columns, keys, indexes, constraints and rows; on PostgreSQL also the catalog's definitions."""
    normal = _expression if engine.dialect.name == "postgresql" else str
    from sqlalchemy import MetaData

    insp = inspect(engine)
    described: dict = {}
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as conn:
        for name in sorted(insp.get_table_names()):
            described[name] = {
                "columns": [(c["name"], str(c["type"]), c["nullable"], str(c.get("default"))) for c in insp.get_columns(name)],
                "primary key": insp.get_pk_constraint(name),
                "foreign keys": sorted(map(_plain, insp.get_foreign_keys(name))),
                "indexes": sorted(normal(_plain(i)) for i in insp.get_indexes(name)),
                "unique": sorted(map(_plain, insp.get_unique_constraints(name))),
                "checks": sorted(normal(_plain(c)) for c in insp.get_check_constraints(name)),
                "rows": sorted(map(repr, conn.execute(select(metadata.tables[name])).all())),
            }
        if engine.dialect.name == "sqlite":
            # a table's clauses sorted: Alembic's batch mode rebuilds a table with its constraints in no fixed order
            described["sqlite_master"] = sorted((kind, name, table, sorted((sql or "").replace(", \n", "\n").splitlines()))
                                                for kind, name, table, sql in conn.execute(text("SELECT type, name, tbl_name, sql FROM sqlite_master")))
        else:
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
            catalog = {
                "constraints": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
                               " WHERE connamespace = current_schema()::regnamespace",
                "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()",
                "sequences": "SELECT sequencename, data_type::text, start_value, increment_by, last_value FROM pg_sequences"
                             " WHERE schemaname = current_schema()",
                "types": "SELECT typname, typtype FROM pg_type WHERE typnamespace = current_schema()::regnamespace",
                "functions": "SELECT proname, pg_get_functiondef(oid) FROM pg_proc WHERE pronamespace = current_schema()::regnamespace",
                "triggers": "SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) FROM pg_trigger"
                            " WHERE tgrelid IN (SELECT oid FROM pg_class WHERE relnamespace = current_schema()::regnamespace)"
                            " AND NOT tgisinternal",
                "relations": "SELECT relname, relkind FROM pg_class WHERE relnamespace = current_schema()::regnamespace"
                             " AND relname NOT LIKE 'pg_toast%'",
            }
            for what, query in catalog.items():
                described[what] = sorted(tuple(normal(str(v).replace(schema, "SCHEMA")) for v in row) for row in conn.execute(text(query)))
    return described


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_tests_store_is_the_store_a_migration_makes(backend, store_templates, tmp_path):
    from callup.store import open_store
    from callup.store.engine import connect, disconnect

    (tmp_path / "migrated").mkdir()
    (tmp_path / "copied").mkdir()
    migrated_url, drop_migrated = make_store_url(backend, tmp_path / "migrated")
    if backend == "sqlite":
        copied_url, drop_copied = make_store_url(backend, tmp_path / "copied")
        store_templates.fill_sqlite(copied_url)
    else:
        copied_url, drop_copied = store_templates.postgres_store(tmp_path / "copied")
    try:
        migrated, copied = open_store(migrated_url), open_store(copied_url)
        expected, got = _described(migrated), _described(copied)
        assert expected["alembic_version"]["rows"]  # the migrated store says its revision
        assert got == expected
    finally:
        for url in (migrated_url, copied_url):
            disconnect(url)
        connect.cache_clear()
        drop_migrated()
        drop_copied()
