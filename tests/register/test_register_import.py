"""Importing the population register: validation, rejects with lines, idempotence, resumption."""

from __future__ import annotations

import csv
import os
import pathlib
import subprocess
import sys

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select

from callup.errors import InputError
from callup.register.importer import import_register
from callup.register.synth import synthesise
from callup.register.tables import Import, Person
from callup_test_support import EXAMPLE_POLICY
from register_helpers import TODAY, context_on, kill_import_after_first_block, people_snapshot, row, write_csv


def _import(engine, path, policy, *, today=TODAY, **kw):
    """Import under the example policy (the `policy` fixture's file) on `today`."""
    return import_register(context_on(engine, today), path, **kw)


def _rejects(report) -> list[tuple[int, str, str]]:
    with open(report.rejects_file, newline="", encoding="utf-8") as fh:
        return [(int(r["line"]), r["column"], r["reason"]) for r in csv.DictReader(fh)]


def test_every_bad_row_is_rejected_with_its_line_column_and_reason(engine, policy, tmp_path):
    rows = [
        row("A1"),                                             # line 2: good
        row("A2", date_of_birth="2003-02-30"),                 # 3: no such day
        row("A3", date_of_birth="2999-01-01"),                 # 4: in the future
        row("A4", region="ZZ"),                                # 5: unknown region
        row("A5", family_name=""),                             # 6: missing
        b"A6,Novak,Adam,2004-05-06,M,EXR,R01,1 Main St,01001,alive,,,,extra",  # 7: one field too many
        row("A7", sex="Q"),                                    # 8
        b"A8,Nov\xe9k,Adam,2004-05-06,M,EXR,R01,1 Main St,01001,alive,,,",      # 9: Latin-1, not UTF-8
        row("A9"),                                             # 10: duplicate id with line 11
        row("A9", given_names="Other"),                        # 11
        row("A10", civil_status="missing", email="not-an-address"),  # 12: two problems
        b"",                                                   # 13: empty line
        row("A11", date_of_birth="06/05/2004"),                # 14: wrong format
        row("Ä 12 ü"),                                         # 15: id with spaces and letters outside [A-Za-z]
        row("A13", sex="f", civil_status="Deceased"),          # 16: good, case-normalised
    ]
    path = write_csv(tmp_path / "people.csv", rows)
    report = _import(engine, path, policy)
    assert report.rows_read == 15
    assert report.rows_imported == 2
    assert report.rows_rejected == 13
    rejects = _rejects(report)
    lines = {line for line, _, _ in rejects}
    assert lines == {3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
    by_line = {}
    for line, column, reason in rejects:
        by_line.setdefault(line, []).append((column, reason))
    assert by_line[3] == [("date_of_birth", "not a valid date (expected YYYY-MM-DD)")]
    assert by_line[4][0][0] == "date_of_birth" and "impossible" in by_line[4][0][1]
    assert by_line[5] == [("region", "unknown region code (not in the policy's regions)")]
    assert by_line[6] == [("family_name", "required value is missing")]
    assert by_line[7] == [("(row)", "expected 13 fields, found 14")]
    assert by_line[8][0][0] == "sex"
    assert by_line[9] == [("family_name", "not valid UTF-8 text (wrong encoding?)")]
    assert by_line[10] == [("national_id", "appears more than once in this file (also on line 11); no occurrence imported")]
    assert by_line[11] == [("national_id", "appears more than once in this file (also on line 10); no occurrence imported")]
    assert {c for c, _ in by_line[12]} == {"civil_status", "email"}
    assert ("national_id", "required value is missing") in by_line[13]
    assert by_line[14] == [("date_of_birth", "not a valid date (expected YYYY-MM-DD)")]
    assert by_line[15][0][0] == "national_id"
    with engine.connect() as conn:
        stored = dict(conn.execute(select(Person.__table__.c.national_id, Person.__table__.c.civil_status)).all())
    assert set(stored) == {"A1", "A13"}
    assert getattr(stored["A13"], "value", stored["A13"]) == "deceased"


def test_a_file_missing_a_required_column_is_refused_before_anything_is_written(engine, policy, tmp_path):
    columns = [c for c in row("x") if c != "date_of_birth"]
    path = write_csv(tmp_path / "people.csv", [row("B1")], columns=columns)
    with pytest.raises(InputError, match=r"people.csv: line 1: missing required column\(s\) date_of_birth"):
        _import(engine, path, policy)
    assert people_snapshot(engine) == []


def test_reimporting_the_same_file_changes_nothing(engine, policy, tmp_path):
    path = tmp_path / "people.csv"
    synthesise(path, people=3000, seed=5, regions=policy.region_codes, citizenship="EXR", on=TODAY, bad_share=0.02)
    first = _import(engine, path, policy)
    snapshot = people_snapshot(engine)
    again = _import(engine, path, policy)
    assert again.already_done and again.import_id == first.import_id
    forced = _import(engine, path, policy, force=True)
    assert forced.import_id != first.import_id
    assert (forced.rows_imported, forced.rows_rejected) == (first.rows_imported, first.rows_rejected)
    assert people_snapshot(engine) == snapshot


def test_an_updated_file_updates_people_without_duplicates(engine, policy, tmp_path):
    _import(engine, write_csv(tmp_path / "v1.csv", [row("C1"), row("C2"), row("C3", email="c3@example.org")]), policy)
    update = [row("C2", address="9 New Rd", civil_status="emigrated"), row("C4")]
    report = _import(engine, write_csv(tmp_path / "v2.csv", update, columns=[c for c in row("x") if c != "email"]), policy)
    assert report.rows_imported == 2
    people = {r[0]: r for r in people_snapshot(engine)}
    assert sorted(people) == ["C1", "C2", "C3", "C4"]
    assert people["C2"][7] == "9 New Rd"
    assert people["C3"][9] == "c3@example.org"  # a column absent from the update is kept


@pytest.mark.db
def test_parquet_and_csv_of_the_same_register_import_the_same_people(policy, tmp_path):
    from callup.store import open_store
    from callup.store.engine import connect

    csv_path, parquet_path = tmp_path / "p.csv", tmp_path / "p.parquet"
    for path in (csv_path, parquet_path):
        synthesise(path, people=2500, seed=9, regions=policy.region_codes, citizenship="EXR", on=TODAY, bad_share=0.02)
    engines = [open_store(f"sqlite:///{tmp_path / name}") for name in ("a.db", "b.db")]
    reports = [_import(e, p, policy) for e, p in zip(engines, (csv_path, parquet_path))]
    # CSV has two extra kinds of bad row (encoding, field count) that Parquet cannot express.
    assert reports[0].rows_read == reports[1].rows_read == 2500
    assert people_snapshot(engines[0]) != [] and people_snapshot(engines[1]) != []
    parquet_people = {r[0]: r for r in people_snapshot(engines[1])}
    for person in people_snapshot(engines[0]):
        if person[0] in parquet_people:
            assert parquet_people[person[0]] == person
    for e in engines:
        e.dispose()
    connect.cache_clear()


def test_parquet_rejects_name_the_row_number(engine, policy, tmp_path):
    path = tmp_path / "people.parquet"
    table = pacsv.read_csv(write_csv(tmp_path / "x.csv", [row("D1"), row("D2", region="nowhere"), row("D3")]),
                           convert_options=pacsv.ConvertOptions(strings_can_be_null=False, column_types={c: "string" for c in row("x")}))
    pq.write_table(table, path)
    report = _import(engine, path, policy)
    assert _rejects(report) == [(2, "region", "unknown region code (not in the policy's regions)")]


def test_an_import_killed_mid_way_finishes_on_rerun_with_nothing_lost_or_doubled(engine, store_url, policy, tmp_path,
                                                                                  monkeypatch):
    path = tmp_path / "people.csv"
    synthesise(path, people=40_000, seed=3, regions=policy.region_codes, citizenship="EXR", on=TODAY, bad_share=0.03)
    reference = _reference(policy, path, tmp_path)
    kill_import_after_first_block(store_url, path, monkeypatch)
    partial = _rows_done(engine)
    assert 0 < partial < 40_000, "the kill should land mid-import"
    report = _import(engine, path, policy)
    assert report.resumed_from == partial
    assert people_snapshot(engine) == people_snapshot(reference)
    assert report.rows_imported + report.rows_rejected == 40_000
    assert _rejects(report) == _rejects_of(tmp_path / "reference.rejects.csv")


def _rows_done(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.coalesce(func.max(Import.__table__.c.rows_done), 0))).scalar_one()


def _rejects_of(path: pathlib.Path) -> list[tuple[int, str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return [(int(r["line"]), r["column"], r["reason"]) for r in csv.DictReader(fh)]


def _reference(policy, path: pathlib.Path, tmp_path: pathlib.Path):
    from callup.store import open_store

    reference = open_store(f"sqlite:///{tmp_path / 'reference.db'}")
    _import(reference, path, policy, rejects_path=tmp_path / "reference.rejects.csv")
    return reference


def test_two_imports_started_at_once_do_not_interleave(engine, store_url, policy, tmp_path):
    path = tmp_path / "people.csv"
    synthesise(path, people=40_000, seed=8, regions=policy.region_codes, citizenship="EXR", on=TODAY, bad_share=0.01)
    reference = _reference(policy, path, tmp_path)
    env = {**os.environ, "CALLUP_DATABASE_URL": store_url, "CALLUP_IMPORT_BLOCK_BYTES": str(256 * 1024),
           "CALLUP_NOW": f"{TODAY}T09:00:00Z"}
    command = [sys.executable, "-m", "callup.cli", "register", "import", str(path), "--policy", str(EXAMPLE_POLICY)]
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outcomes = sorted((p.wait(timeout=300), p.stderr.read()) for p in runs)
    # One wins; the other either found it running (exit 4, a clear message) or came after it finished.
    assert outcomes[0][0] == 0
    assert outcomes[1][0] == 0 or (outcomes[1][0] == 4 and "already running" in outcomes[1][1])
    assert "Traceback" not in outcomes[1][1]
    assert people_snapshot(engine) == people_snapshot(reference)


def test_a_language_column_is_taken_checked_and_kept_and_a_file_without_it_changes_no_one_s(engine, policy, tmp_path):
    from sqlalchemy import select

    from callup.register.columns import COLUMNS
    from callup.register.tables import Person

    people = Person.__table__
    rows = [row("L1", language="ru"), row("L2", language=" RU "), row("L3", language=""), row("L4", language="russian"),
            row("L5", language="pt-BR")]
    report = _import(engine, write_csv(tmp_path / "people.csv", rows, columns=COLUMNS), policy)
    assert report.rows_imported == 4
    assert _rejects(report) == [(5, "language", "not a language code (such as en, ru or pt-br)")]

    def languages() -> dict[str, str | None]:
        with engine.connect() as conn:
            return dict(conn.execute(select(people.c.national_id, people.c.language)).all())

    assert languages() == {"L1": "ru", "L2": "ru", "L3": None, "L5": "pt-br"}  # none given: the policy's language applies
    _import(engine, write_csv(tmp_path / "later.csv", [row("L1", address="2 Main St"), row("L6")]), policy)
    assert languages() == {"L1": "ru", "L2": "ru", "L3": None, "L5": "pt-br", "L6": None}
