"""CSV files callup writes cannot carry a spreadsheet formula, and postcodes follow the policy's pattern."""

from __future__ import annotations

import csv
import io
import pathlib
import sys

import pyarrow as pa
import pytest
from hypothesis import given, strategies as st

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "notices"))

from callup import csv_output  # noqa: E402
from callup.notices.letters import write_manifest  # noqa: E402
from callup.policy import load_policy  # noqa: E402
from callup.policy.errors import PolicyError  # noqa: E402
from callup_test_support import EXAMPLE_POLICY  # noqa: E402
from letter_samples import sample_letter  # noqa: E402

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _runnable(cell: str) -> bool:
    """What a spreadsheet would treat as a formula: a formula character first, unless it is a plain signed number."""
    if not cell.startswith(FORMULA_START):
        return False
    return not (cell[0] in "+-" and all(c in "0123456789 ().-" for c in cell[1:]))


def _written(rows: list[list[str]]) -> list[list[str]]:
    buf = io.StringIO(newline="")
    csv_output.writer(buf).writerows(rows)
    return list(csv.reader(io.StringIO(buf.getvalue(), newline="")))


@given(st.text(max_size=12) | st.sampled_from(['=HYPERLINK("x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1",
                                                 "-12", "+44 20 7946 0000"]))
def test_no_cell_can_run_as_a_formula_and_safe_text_is_unchanged(text):
    cell = csv_output.safe_cell(text)
    assert not _runnable(cell)
    assert cell == text or (cell == "'" + text and _runnable(text))


def test_the_writer_neutralises_every_cell_and_leaves_numbers_alone():
    rows = [["=1+1", 5, "-3", "Ann"], ["@x", -2, "+cmd|calc", "\t=2"]]
    assert _written(rows) == [["'=1+1", "5", "-3", "Ann"], ["'@x", "-2", "'+cmd|calc", "'\t=2"]]


def test_a_mailing_manifest_neutralises_a_formula_in_the_postcode(tmp_path):
    letters = [sample_letter(0, postcode='=HYPERLINK("x")'), sample_letter(1)]
    write_manifest(letters, [1, 2], tmp_path / "m.csv")
    rows = list(csv.reader((tmp_path / "m.csv").open(newline="")))
    assert rows[1][1] == "'=HYPERLINK(\"x\")" and rows[2][1] == "00001"


def test_an_arrow_export_table_is_neutralised_column_by_column():
    table = pa.table({"name": ["=cmd", "Ann", None, "-1+1"], "phone": ["+44 20 7946 0000", "@x", "", "-5"], "n": [1, -2, 3, 4]})
    safe = csv_output.safe_table(table)
    assert safe.column("name").to_pylist() == ["'=cmd", "Ann", None, "'-1+1"]
    assert safe.column("phone").to_pylist() == ["+44 20 7946 0000", "'@x", "", "-5"]
    assert safe.column("n").to_pylist() == [1, -2, 3, 4]


def test_the_register_import_refuses_a_postcode_outside_the_policy_s_pattern(ctx, tmp_path):
    from callup.register.importer import import_register

    path = tmp_path / "people.csv"
    path.write_text("national_id,family_name,given_names,date_of_birth,sex,citizenship,region,address,postcode,civil_status\n"
                    "N1,Novak,Adam,2004-05-06,M,EXR,R01,1 Main St,01001,alive\n"
                    'N2,Horvat,Eva,2004-07-08,M,EXR,R02,2 Main St,"=HYPERLINK(""x"")",alive\n', encoding="utf-8")
    report = import_register(ctx, path)
    assert (report.rows_imported, report.rows_rejected) == (1, 1)
    rejects = list(csv.reader(pathlib.Path(report.rejects_file).open(newline="")))
    assert rejects[1][:2] == ["3", "postcode"] and "postcode_pattern" in rejects[1][2]


def test_a_policy_pattern_that_admits_a_formula_is_refused(tmp_path):
    text = EXAMPLE_POLICY.read_text(encoding="utf-8")
    assert load_policy(EXAMPLE_POLICY).postcode_pattern  # the default applies
    bad = tmp_path / "policy.toml"
    bad.write_text(text.replace("[jurisdiction]\n", '[jurisdiction]\npostcode_pattern = ".+"\n', 1), encoding="utf-8")
    with pytest.raises(PolicyError, match="postcode_pattern"):
        load_policy(bad)
