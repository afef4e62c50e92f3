"""The offices CSV: columns, slots, and one clear error per bad row."""

from __future__ import annotations

import datetime as dt
import pathlib
import re

import pytest
from hypothesis import given, settings, strategies as st

from callup.errors import InputError
from callup.notices.offices import (
    Slot,
    load_offices,
    parse_offices,
    parse_opening_days,
    regions_without_office,
)
from callup.policy import load_policy

REPO = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "offices" / "republic-of-example.csv"
HEADER = "office,name,region,address,opening_days,daily_capacity,slot_minutes,opens,closes"
GOOD = 'R01-A,Arist Office,R01,"12 Harbour Street; 00100 Arist",Mon-Fri,10,60,08:00,12:00'


def write(tmp_path, text: str, name: str = "offices.csv", encoding: str = "utf-8") -> pathlib.Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_a_good_file(tmp_path):
    [office] = load_offices(write(tmp_path, f"{HEADER}\n{GOOD}\n"))
    assert office.code == "R01-A" and office.region == "R01"
    assert office.address == ("12 Harbour Street", "00100 Arist")
    assert office.opening_days == frozenset(range(5))
    assert office.slots == (
        Slot(dt.time(8), dt.time(9), 3), Slot(dt.time(9), dt.time(10), 3),
        Slot(dt.time(10), dt.time(11), 2), Slot(dt.time(11), dt.time(12), 2),
    )
    assert sum(s.capacity for s in office.slots) == office.daily_capacity
    assert office.slot_at(dt.time(9)).capacity == 3 and office.slot_at(dt.time(9, 30)) is None


def test_byte_order_mark_column_order_blank_lines_and_closed_dates(tmp_path):
    text = ("\ufeffregion,office,name,address,opening_days,daily_capacity,slot_minutes,opens,closes,closed\n\n"
            "R02,R02-A,Second,Main Street 1,Mon Wed+Fri,2,50,09:00,11:00,2026-05-01 2026-05-08\n")
    [office] = load_offices(write(tmp_path, text))
    assert office.region == "R02" and office.opening_days == frozenset({0, 2, 4})
    assert office.slots == (Slot(dt.time(9), dt.time(9, 50), 1), Slot(dt.time(9, 50), dt.time(10, 40), 1))
    assert office.closed == {dt.date(2026, 5, 1), dt.date(2026, 5, 8)}
    assert not office.is_open(dt.date(2026, 5, 1)) and office.is_open(dt.date(2026, 5, 4))
    assert not office.is_open(dt.date(2026, 5, 4), {dt.date(2026, 5, 4)})


def test_fewer_people_than_slots_leaves_the_late_slots_out():
    [office] = parse_offices(f"{HEADER}\nA,A,R01,x,Mon,2,60,08:00,12:00\n")
    assert [s.capacity for s in office.slots] == [1, 1]


@pytest.mark.parametrize("text, days", [
    ("Mon-Fri", {0, 1, 2, 3, 4}), ("mon tue", {0, 1}), ("Sat-Mon", {5, 6, 0}), ("Monday-Wednesday+Sat", {0, 1, 2, 5}),
    ("Thu", {3}), ("Sun-Sun", {6}),
])
def test_opening_days(text, days):
    assert parse_opening_days(text) == days


@pytest.mark.parametrize("row, where", [
    ('R01-A,Arist,R01,x,Mon-Fri,ten,60,08:00,12:00', "line 2: daily_capacity: must be a whole number, got 'ten'"),
    ('R01-A,Arist,R01,x,Mon-Fri,0,60,08:00,12:00', "line 2: daily_capacity: must be between 1 and"),
    ('R01-A,Arist,R01,x,Mon-Fri,-3,60,08:00,12:00', "line 2: daily_capacity: must be a whole number"),
    ('R01-A,Arist,R01,x,Mon-Fri,10,60,8h,12:00', "line 2: opens: must be a time HH:MM"),
    ('R01-A,Arist,R01,x,Mon-Fri,10,60,08:00,25:00', "line 2: closes: must be a time HH:MM"),
    ('R01-A,Arist,R01,x,Mon-Fri,10,60,12:00,08:00', "line 2: closes: must be after opens (12:00), got 08:00"),
    ('R01-A,Arist,R01,x,Mon-Fri,10,600,08:00,12:00', "line 2: slot_minutes: 600 minutes do not fit"),
    ('R01-A,Arist,R01,x,Mon-Fry,10,60,08:00,12:00', "line 2: opening_days: 'Mon-Fry' is not a weekday"),
    ('R01-A,Arist,R01,x,Mo,10,60,08:00,12:00', "line 2: opening_days: 'Mo' is not a weekday"),
    ('R01-A,Arist,R01,x,,10,60,08:00,12:00', "line 2: opening_days: must not be empty"),
    ('R01-A,,R01,x,Mon,10,60,08:00,12:00', "line 2: name: must not be empty"),
    ('R01-A,Arist,R01," ; ",Mon,10,60,08:00,12:00', "line 2: address: must not be empty"),
    ('R01 A,Arist,R01,x,Mon,10,60,08:00,12:00', "line 2: office: must be letters, digits"),
    ('R01-A,Arist,R01,x,Mon,10,60,08:00', "line 2: expected 9 fields, got 8"),
    ('R01-A,Arist,R01,x,Mon,10,60,08:00,12:00,extra', "line 2: expected 9 fields, got 10"),
])
def test_each_bad_row_is_one_error_naming_file_line_and_field(tmp_path, row, where):
    path = write(tmp_path, f"{HEADER}\n{row}\n")
    with pytest.raises(InputError) as caught:
        load_offices(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert where in str(caught.value)


def test_bad_closed_date_and_unknown_region_and_repeated_office(tmp_path):
    with pytest.raises(InputError, match=r"line 3: closed: must be dates YYYY-MM-DD .* got '2026-13-01'"):
        parse_offices(f"{HEADER},closed\n{GOOD},\n{GOOD.replace('R01-A', 'R01-B')},2026-13-01\n")
    with pytest.raises(InputError, match=r"offices: line 2: region: 'R99' is not a region of the policy"):
        parse_offices(f"{HEADER}\n{GOOD.replace(',R01,', ',R99,')}\n", regions=["R01"])
    with pytest.raises(InputError, match=r"line 4: office: 'R01-A' repeats line 2"):
        parse_offices(f"{HEADER}\n{GOOD}\n\n{GOOD}\n")


def test_a_multi_line_quoted_field_is_counted_in_line_numbers():
    text = f'{HEADER}\nR01-A,Arist,R01,"12 Harbour Street\n00100 Arist",Mon-Fri,x,60,08:00,12:00\n'
    with pytest.raises(InputError, match="line 3: daily_capacity"):
        parse_offices(text)


@pytest.mark.parametrize("text, message", [
    ("", "empty file, expected a header row"),
    ("\n\n", "empty file"),
    (HEADER + "\n", "no offices"),
    ("office,name,region\n", "line 1: missing column(s): address, opening_days"),
    (HEADER + ",colour\n", "line 1: unknown column(s): colour"),
    (HEADER + ",name\n", "line 1: repeated column names"),
    (HEADER + "\n" + GOOD + ',"\x00\n', None),
])
def test_bad_files(text, message):
    with pytest.raises(InputError) as caught:
        parse_offices(text, source="o.csv")
    assert str(caught.value).startswith("o.csv: ")
    if message:
        assert message in str(caught.value)


def test_unreadable_and_not_utf8(tmp_path):
    with pytest.raises(InputError, match="cannot read offices file"):
        load_offices(tmp_path / "missing.csv")
    path = write(tmp_path, f"{HEADER}\n{GOOD.replace('Arist Office', 'Ärist')}\n", encoding="latin-1")
    with pytest.raises(InputError, match=r"line 2: not UTF-8 text"):
        load_offices(path)


def test_the_example_covers_every_region_of_the_example_policy():
    policy = load_policy(REPO / "examples" / "policies" / "republic-of-example.toml")
    codes = [r.code for r in policy.regions]
    offices = load_offices(EXAMPLE, regions=codes)
    assert regions_without_office(offices, codes) == []
    assert len({o.code for o in offices}) == len(offices)
    assert regions_without_office(offices, codes + ["R99"]) == ["R99"]


@given(st.text(max_size=400))
@settings(max_examples=300)
def test_any_text_is_offices_or_one_input_error(text):
    try:
        parse_offices(HEADER + "\n" + text)
    except InputError as exc:
        assert str(exc).startswith("offices: ")


@given(st.lists(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=12), min_size=9, max_size=9))
@settings(max_examples=300)
def test_any_row_is_an_office_or_one_input_error_naming_its_line(cells):
    import csv
    import io

    out = io.StringIO()
    csv.writer(out).writerows([HEADER.split(","), cells])
    try:
        parse_offices(out.getvalue())
    except InputError as exc:
        assert re.match(r"offices: line \d+: ", str(exc)) or "no offices" in str(exc)
