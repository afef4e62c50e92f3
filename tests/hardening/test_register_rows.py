"""One malformed row rejects that row only, with its line; no error shows personal data; a failed
import ends `failed`, and Parquet with unsupported columns is named as such."""

from __future__ import annotations

import os
import stat

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import text

from callup.errors import InputError
from callup.register.importer import import_register
from hardening_support import context_at, csv_line, row, write_csv

SECRET_NAME = "Zyxwvutsrq"  # appears in every row: an error showing it would show personal data


def _status(engine, import_id=None):
    with engine.connect() as conn:
        sql = "SELECT status FROM imports ORDER BY id DESC LIMIT 1" if import_id is None else "SELECT status FROM imports WHERE id = :i"
        value = conn.execute(text(sql), {"i": import_id}).scalar()
    return getattr(value, "value", value)


def _rejects(engine, import_id):
    with engine.connect() as conn:
        return {line: (column, reason) for line, column, reason in conn.execute(text(
            'SELECT line, "column", reason FROM import_rejects WHERE import_id = :i'), {"i": import_id})}


def _blocks(engine) -> int:
    """How many blocks the imports committed (one audit entry each)."""
    with engine.connect() as conn:
        return conn.execute(text("SELECT COUNT(*) FROM audit_log WHERE action = 'register.import.block'")).scalar_one()


def _lines(n: int) -> list[bytes]:
    return [csv_line(row(f"N{i:07d}", family_name=SECRET_NAME, address=f"{i} Main St, flat 2")) for i in range(n)]


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of 4 KiB, so one file has many blocks (the child process of a SQLite job reads the environment)."""
    monkeypatch.setenv("CALLUP_IMPORT_BLOCK_BYTES", "4096")


def test_a_block_size_that_is_not_a_number_is_one_clear_error_before_anything_is_written(engine, store_url, tmp_path,
                                                                                          monkeypatch):
    path = write_csv(tmp_path / "p.csv", _lines(10))
    for wrong in ("4k", "0", "²", str(2**40)):
        monkeypatch.setenv("CALLUP_IMPORT_BLOCK_BYTES", wrong)
        with pytest.raises(InputError, match=f"^CALLUP_IMPORT_BLOCK_BYTES: '{wrong}' is not a whole number of bytes from 1"):
            import_register(context_at(store_url), path)
    assert _status(engine) is None  # no import was started


CUTS = {
    "quoted value cut short": lambda good: good[: good.index(b'"') + 5],
    "cut after a comma": lambda good: good[: good.index(b",", 20) + 1],
    "stray quote": lambda good: good.replace(b"Adam", b'Ad"am', 1),
    "extra field": lambda good: good + b",x",
    "not UTF-8 and short": lambda good: b"\xff\xfe," + good[:30],
    "empty line": lambda good: b"",
    "a lone quote": lambda good: b'"',
}


def test_malformed_rows_are_rejected_one_by_one_with_their_lines(engine, store_url, tmp_path, small_blocks):
    lines = _lines(400)
    bad_at = {}
    for k, (name, cut) in enumerate(CUTS.items()):
        index = 37 + 51 * k
        lines[index] = cut(lines[index])
        bad_at[index + 2] = name  # line numbers: the header is line 1
    path = write_csv(tmp_path / "p.csv", lines)
    report = import_register(context_at(store_url), path)
    assert _status(engine, report.import_id) == "finished"
    assert _blocks(engine) > 5, "the bad rows should fall in many blocks of 4 KiB"
    assert report.rows_imported == 400 - len(CUTS)
    rejects = _rejects(engine, report.import_id)
    assert sorted(rejects) == sorted(bad_at), {bad_at.get(line): rejects[line] for line in rejects}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM people")).scalar_one() == 400 - len(CUTS)
    shown = repr(report) + repr(rejects) + (tmp_path / "p.csv.rejects.csv").read_text()
    assert SECRET_NAME not in shown and "Main St" not in shown
    assert stat.S_IMODE(os.stat(tmp_path / "p.csv.rejects.csv").st_mode) == 0o600


def test_a_row_cut_short_deep_in_a_large_file_rejects_that_row_only(engine, store_url, tmp_path):
    n = 300_000
    body = bytearray()
    for i in range(n):
        line = b'N%07d,Novak,Adam,2004-05-06,M,EXR,R01,"%d Main St, flat 2",01001,alive,,,\n' % (i, i)
        if i == 199_999:  # line 200,001
            line = line[: line.index(b'"') + 4] + b"\n"
        body += line
    path = tmp_path / "big.csv"
    path.write_bytes(b"national_id,family_name,given_names,date_of_birth,sex,citizenship,region,address,postcode,"
                     b"civil_status,email,phone,volunteer\n" + bytes(body))
    report = import_register(context_at(store_url), path)
    assert report.rows_imported == n - 1 and report.rows_rejected == 1
    assert list(_rejects(engine, report.import_id)) == [200_001]


def test_a_damaged_parquet_file_leaves_the_import_failed_and_a_rerun_resumes(engine, store_url, tmp_path):
    table = pa.table({c: pa.array([v] * 5000) for c, v in row("X").items() if v})
    table = table.set_column(0, "national_id", pa.array([f"Q{i}" for i in range(5000)]))
    path = tmp_path / "p.parquet"
    pq.write_table(table, path, row_group_size=1000, compression="none")
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle: middle + 2000] = os.urandom(2000)
    path.write_bytes(bytes(data))
    with pytest.raises(InputError) as caught:
        import_register(context_at(store_url), path)
    assert "p.parquet" in str(caught.value) and "Q1" not in str(caught.value)
    assert _status(engine) == "failed"
    with pytest.raises(InputError):  # a rerun resumes the failed import, and fails again the same way
        import_register(context_at(store_url), path)
    assert _status(engine) == "failed"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM imports")).scalar_one() == 1


def test_parquet_with_list_or_struct_columns_is_named_unsupported_not_damaged(store_url, tmp_path):
    base = {c: pa.array([v]) for c, v in row("L1").items() if v}
    for kind, value in (("list", pa.array([["1 Main St", "flat 2"]])), ("struct", pa.array([{"street": "Main", "no": 1}]))):
        path = tmp_path / f"{kind}.parquet"
        pq.write_table(pa.table({**base, "address": value}), path)
        with pytest.raises(InputError, match="unsupported column type") as caught:
            import_register(context_at(store_url), path)
        assert "damaged" not in str(caught.value) and "'address'" in str(caught.value)


def test_a_parquet_column_name_that_is_not_utf8_is_one_line(store_url, tmp_path):
    path = tmp_path / "names.parquet"
    pq.write_table(pa.table({c: pa.array([v]) for c, v in row("U1").items() if v}), path)
    path.write_bytes(path.read_bytes().replace(b"family_name", b"family\xff\xfeame"))
    with pytest.raises(InputError, match="not UTF-8"):
        import_register(context_at(store_url), path)


def test_a_rejects_file_in_a_missing_folder_is_refused_before_any_work(engine, store_url, tmp_path):
    path = write_csv(tmp_path / "p.csv", [row("R1"), row("R1")])
    with pytest.raises(InputError, match="does not exist") as caught:
        import_register(context_at(store_url), path, rejects_path=tmp_path / "no" / "r.csv")
    assert caught.value.field == "rejects"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM imports")).scalar_one() == 0
