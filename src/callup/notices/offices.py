"""Offices where summoned people appear: read from a CSV file.

One row per office, UTF-8 (a byte-order mark is tolerated), comma-separated, a header row
naming the columns in any order::

    office,name,region,address,opening_days,daily_capacity,slot_minutes,opens,closes,closed
    R01-A,Arist Lowlands Recruiting Office,R01,"12 Harbour Street;1001 Arist",Mon-Fri,180,20,08:00,16:00,2026-05-01

* `office`: the office's code, unique in the file (letters, digits, `.`, `_`, `-`).
* `name`: as printed on the letter.
* `region`: the code of the region whose called people it receives (a region may have several
  offices; an office serves one region).
* `address`: the address lines as printed, separated by `;`.
* `opening_days`: weekdays in English abbreviations, single days or ranges, separated by
  spaces or `+`: `Mon-Fri`, `Mon Wed Fri`, `Mon-Thu+Sat`.
* `daily_capacity`: the most people the office receives on one day (whole number, at least 1).
* `slot_minutes`, `opens`, `closes`: the day from `opens` to `closes` (HH:MM, 24-hour) is cut
  into slots of `slot_minutes` minutes (a slot that would end after `closes` is not used);
  the daily capacity is spread over the slots as evenly as possible, earlier slots taking the
  remainder (180 people over 24 slots: 12 slots of 8 and 12 of 7).
* `closed` (optional column, may be empty): dates the office is closed although it is an
  opening weekday (local holidays), `YYYY-MM-DD` separated by spaces. National holidays are
  better given once to the scheduler.

Every problem raises one `InputError` naming the file, the line and the column
(`offices.csv: line 7: daily_capacity: must be a whole number, got 'ten'`); nothing else
escapes (no traceback for a bad file). Office data is not personal data, so messages may
quote the value.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import pathlib
import re
from collections.abc import Iterable

from callup.errors import InputError

REQUIRED = ("office", "name", "region", "address", "opening_days", "daily_capacity", "slot_minutes", "opens", "closes")
OPTIONAL = ("closed",)
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


@dataclasses.dataclass(frozen=True)
class Slot:
    """One appointment slot of an office's day: start and end time, how many people fit."""

    start: dt.time
    end: dt.time
    capacity: int


@dataclasses.dataclass(frozen=True)
class Office:
    """An office: where, which region, which days, how many people a day in which slots."""

    code: str
    name: str
    region: str
    address: tuple[str, ...]
    opening_days: frozenset[int]  # weekday numbers, Monday = 0
    daily_capacity: int
    slot_minutes: int
    opens: dt.time
    closes: dt.time
    closed: frozenset[dt.date] = frozenset()

    @property
    def slots(self) -> tuple[Slot, ...]:
        """The slots of one opening day, in time order; their capacities sum to `daily_capacity`
        (slots that would get no one are left out)."""
        return _slots(self.opens, self.closes, self.slot_minutes, self.daily_capacity)

    def is_open(self, day: dt.date, holidays: frozenset[dt.date] | set[dt.date] = frozenset()) -> bool:
        """True when the office receives people on `day`: an opening weekday, not one of its
        closed dates, not one of `holidays`."""
        return day.weekday() in self.opening_days and day not in self.closed and day not in holidays

    def slot_at(self, start: dt.time) -> Slot | None:
        """The slot starting at `start`, or None when the office has no such slot."""
        for slot in self.slots:
            if slot.start == start:
                return slot
        return None


_SLOT_CACHE: dict[tuple, tuple[Slot, ...]] = {}


def _slots(opens: dt.time, closes: dt.time, minutes: int, capacity: int) -> tuple[Slot, ...]:
    key = (opens, closes, minutes, capacity)
    cached = _SLOT_CACHE.get(key)
    if cached is None:
        first = opens.hour * 60 + opens.minute
        count = (closes.hour * 60 + closes.minute - first) // minutes
        base, extra = divmod(capacity, count)
        cached = tuple(
            Slot(_time(first + i * minutes), _time(first + (i + 1) * minutes), base + (i < extra))
            for i in range(count) if base + (i < extra) > 0
        )
        _SLOT_CACHE[key] = cached
    return cached


def _time(minutes: int) -> dt.time:
    return dt.time(minutes // 60, minutes % 60)


class _RowError(Exception):
    def __init__(self, column: str, problem: str) -> None:
        self.column, self.problem = column, problem


def _text(row: dict[str, str], column: str) -> str:
    value = row[column].strip()
    if not value:
        raise _RowError(column, "must not be empty")
    return value


def _whole(row: dict[str, str], column: str, low: int, high: int) -> int:
    text = _text(row, column)
    if not text.isascii() or not text.isdigit():
        raise _RowError(column, f"must be a whole number, got {text!r}")
    value = int(text)
    if not low <= value <= high:
        raise _RowError(column, f"must be between {low} and {high}, got {value}")
    return value


def _clock(row: dict[str, str], column: str) -> dt.time:
    text = _text(row, column)
    m = _TIME.fullmatch(text)
    if not m:
        raise _RowError(column, f"must be a time HH:MM (24-hour), got {text!r}")
    return dt.time(int(m[1]), int(m[2]))


def parse_opening_days(text: str) -> frozenset[int]:
    """Weekday numbers (Monday = 0) from `Mon-Fri`, `Mon Wed Fri`, `Mon-Thu+Sat`: English day
    names or their abbreviations of at least three letters, any case; a range runs forward and
    may wrap round the week (`Sat-Mon`). Raises `InputError` naming the bad part."""
    days: set[int] = set()
    parts = [p for p in re.split(r"[\s+,;]+", text.strip()) if p]
    if not parts:
        raise InputError("must name at least one weekday, e.g. Mon-Fri")
    for part in parts:
        named = [_weekday(e) for e in part.split("-")]
        ends = [d for d in named if d is not None]
        if len(named) > 2 or len(ends) != len(named):
            raise InputError(f"{part!r} is not a weekday or a range of weekdays (Mon, Tue, Wed, Thu, Fri, Sat, Sun; e.g. Mon-Fri)")
        day, last = ends[0], ends[-1]
        days.add(day)
        while day != last:
            day = (day + 1) % 7
            days.add(day)
    return frozenset(days)


_FULL = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _weekday(name: str) -> int | None:
    """The number of an English weekday name or its abbreviation of at least three letters."""
    n = name.strip().lower()
    if len(n) < 3:
        return None
    return next((i for i, full in enumerate(_FULL) if full.startswith(n)), None)


def _closed(row: dict[str, str]) -> frozenset[dt.date]:
    text = row.get("closed", "") or ""
    dates = set()
    for part in text.replace(";", " ").replace("+", " ").split():
        try:
            dates.add(dt.date.fromisoformat(part))
        except ValueError:
            raise _RowError("closed", f"must be dates YYYY-MM-DD separated by spaces, got {part!r}") from None
    return frozenset(dates)


def _office(row: dict[str, str], regions: frozenset[str] | None) -> Office:
    code = _text(row, "office")
    if not _CODE.fullmatch(code):
        raise _RowError("office", f"must be letters, digits, '.', '_' or '-' (at most 64), got {code!r}")
    name = _text(row, "name")
    region = _text(row, "region")
    if regions is not None and region not in regions:
        raise _RowError("region", f"{region!r} is not a region of the policy")
    address = tuple(line.strip() for line in _text(row, "address").split(";") if line.strip())
    if not address:
        raise _RowError("address", "must not be empty")
    try:
        days = parse_opening_days(_text(row, "opening_days"))
    except InputError as exc:
        raise _RowError("opening_days", exc.message) from None
    capacity = _whole(row, "daily_capacity", 1, 1_000_000)
    minutes = _whole(row, "slot_minutes", 1, 24 * 60)
    opens, closes = _clock(row, "opens"), _clock(row, "closes")
    span = (closes.hour * 60 + closes.minute) - (opens.hour * 60 + opens.minute)
    if span <= 0:
        raise _RowError("closes", f"must be after opens ({opens:%H:%M}), got {closes:%H:%M}")
    if span < minutes:
        raise _RowError("slot_minutes", f"{minutes} minutes do not fit between {opens:%H:%M} and {closes:%H:%M}")
    return Office(code, name, region, address, days, capacity, minutes, opens, closes, _closed(row))


def parse_offices(text: str, *, source: str = "offices", regions: Iterable[str] | None = None) -> list[Office]:
    """The offices in the CSV `text`, in file order; `source` names the file in messages.

    When `regions` is given, every office's region must be one of them. Raises one `InputError`
    for the first problem, naming source, line and column: a missing, unknown or repeated
    column, a row with too many or too few fields, an empty or malformed value, a repeated
    office code, or no offices at all."""
    known = frozenset(regions) if regions is not None else None
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next((row for row in reader if any(cell.strip() for cell in row)), None)
        if header is None:
            raise InputError(f"{source}: empty file, expected a header row: {','.join(REQUIRED + OPTIONAL)}")
        header = [h.strip().lower() for h in header]
        where = f"{source}: line {reader.line_num}"
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise InputError(f"{where}: missing column(s): {', '.join(missing)}")
        unknown = [c for c in header if c not in REQUIRED + OPTIONAL]
        if unknown:
            raise InputError(f"{where}: unknown column(s): {', '.join(unknown)} (expected {', '.join(REQUIRED + OPTIONAL)})")
        if len(set(header)) != len(header):
            raise InputError(f"{where}: repeated column names")
        offices: list[Office] = []
        seen: dict[str, int] = {}
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                raise InputError(f"{source}: line {line}: expected {len(header)} fields, got {len(cells)}")
            try:
                office = _office(dict(zip(header, cells)), known)
            except _RowError as exc:
                raise InputError(f"{source}: line {line}: {exc.column}: {exc.problem}") from None
            if office.code in seen:
                raise InputError(f"{source}: line {line}: office: {office.code!r} repeats line {seen[office.code]}")
            seen[office.code] = line
            offices.append(office)
    except csv.Error as exc:
        raise InputError(f"{source}: line {reader.line_num}: not readable as CSV ({exc})") from None
    if not offices:
        raise InputError(f"{source}: no offices (only a header row)")
    return offices


def load_offices(path: str | pathlib.Path, *, regions: Iterable[str] | None = None) -> list[Office]:
    """The offices in the CSV file at `path` (see the module docstring for the columns).

    Raises `InputError` naming the file when it cannot be read or is not UTF-8, and otherwise
    as `parse_offices`."""
    path = pathlib.Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read offices file ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise InputError(f"{path}: line {line}: not UTF-8 text (byte {exc.start})") from None
    return parse_offices(text, source=str(path), regions=regions)


def regions_without_office(offices: Iterable[Office], regions: Iterable[str]) -> list[str]:
    """The region codes among `regions` that no office serves, sorted (their called people
    cannot be scheduled: the scheduler reports them as a shortfall)."""
    served = {o.region for o in offices}
    return sorted(set(regions) - served)
