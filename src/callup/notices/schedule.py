"""Appointments for called people: pure scheduling within offices' capacity, and slot moves.

`schedule(called, offices, window)` gives every called person an appointment (office, date,
slot) at an office of their region, on a day inside the campaign window when that office is
open, never putting more people in a slot than the slot's share of the office's daily
capacity (see `offices`) -- counting people already booked (`booked`), so replacements called
later are scheduled around the existing appointments. Whoever cannot be placed (the region has
no office, or its offices are full for the whole window) is listed in `Schedule.unplaced` per
region, never dropped.

The rule is first come, first served in a fixed order, so the result is deterministic:

* people of a region are taken in `order` (e.g. postcode, so neighbours share a day and an
  office and the letters go out in the post's sorting order), ties broken by `key`;
* seats are offered day by day from the start of the window, on each day office by office
  (office codes in order), in each office slot by slot.

So the earliest days fill first and the end of the window stays free for replacements and
moves. The input order of `called` and `offices` does not change the result.

`move_appointment(...)` applies the rules for a person moving to another slot (see there);
`free_slots(...)` lists the slots a person may move to.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from callup.errors import InputError, StateError
from callup.notices.offices import Office

SlotKey = tuple[str, dt.date, dt.time]  # (office code, date, slot start)


@dataclasses.dataclass(frozen=True)
class Called:
    """A called person to schedule: an opaque `key` (summons or person id; all keys of one call
    of the same type), the `region` code, and the `order` to take them in (any comparable value,
    e.g. `(postcode, rank)`)."""

    key: Hashable
    region: str
    order: Any = ""


@dataclasses.dataclass(frozen=True)
class Appointment:
    """Where and when to appear: office code, date, slot start and end."""

    office: str
    date: dt.date
    start: dt.time
    end: dt.time

    @property
    def slot(self) -> SlotKey:
        """The key of the slot in a load count: (office, date, start)."""
        return (self.office, self.date, self.start)


@dataclasses.dataclass(frozen=True)
class Schedule:
    """The result of `schedule`: `appointments` by person key (in scheduling order), and the
    keys of the people who could not be placed, per region (in their order)."""

    appointments: dict[Hashable, Appointment]
    unplaced: dict[str, list[Hashable]]

    @property
    def shortfall(self) -> dict[str, int]:
        """How many people of each region could not be placed (only regions with a shortfall)."""
        return {region: len(keys) for region, keys in self.unplaced.items()}

    def load(self, booked: Mapping[SlotKey, int] | None = None) -> Counter[SlotKey]:
        """People per slot: `booked` plus these appointments."""
        count: Counter[SlotKey] = Counter(booked or {})
        count.update(a.slot for a in self.appointments.values())
        return count


def _window(window: tuple[dt.date, dt.date]) -> tuple[dt.date, dt.date]:
    start, end = window
    if end < start:
        raise InputError(f"window: ends ({end.isoformat()}) before it starts ({start.isoformat()})", field="window")
    return start, end


def _days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


def _by_region(offices: Iterable[Office]) -> dict[str, list[Office]]:
    regions: dict[str, list[Office]] = defaultdict(list)
    seen: set[str] = set()
    for office in offices:
        if office.code in seen:
            raise ValueError(f"office {office.code!r} is given twice")
        seen.add(office.code)
        regions[office.region].append(office)
    for group in regions.values():
        group.sort(key=lambda o: o.code)
    return regions


def schedule(called: Iterable[Called], offices: Iterable[Office], window: tuple[dt.date, dt.date], *,
             holidays: Iterable[dt.date] = (), booked: Mapping[SlotKey, int] | None = None) -> Schedule:
    """Appointments for `called` at the `offices` of their region inside `window` (first and
    last day, both included), skipping `holidays` (every office) and each office's closed dates,
    counting `booked` people already in a slot. See the module docstring for the order.

    Returns a `Schedule`; nobody is left out (placed or in `unplaced`). Raises `InputError`
    (field "window") when the window ends before it starts, and ValueError when a person key
    or an office code is given twice (a programming error)."""
    start, end = _window(window)
    closed = frozenset(holidays)
    booked = booked or {}
    people: dict[str, list[Called]] = defaultdict(list)
    keys: set[Hashable] = set()
    for person in called:
        if person.key in keys:
            raise ValueError(f"person key {person.key!r} is given twice")
        keys.add(person.key)
        people[person.region].append(person)
    by_region = _by_region(offices)
    appointments: dict[Hashable, Appointment] = {}
    unplaced: dict[str, list[Hashable]] = {}
    for region in sorted(people):
        queue = sorted(people[region], key=lambda p: (p.order, p.key))
        placed = 0
        for appointment, free in _seats(by_region.get(region, []), start, end, closed, booked):
            take = queue[placed:placed + free]
            for person in take:
                appointments[person.key] = appointment
            placed += len(take)
            if placed == len(queue):
                break
        if placed < len(queue):
            unplaced[region] = [p.key for p in queue[placed:]]
    return Schedule(appointments, unplaced)


def _seats(offices: Sequence[Office], start: dt.date, end: dt.date, closed: frozenset[dt.date],
           booked: Mapping[SlotKey, int]) -> Iterator[tuple[Appointment, int]]:
    """(appointment, free places) for every slot with room, in scheduling order."""
    for day in _days(start, end):
        for office in offices:
            if not office.is_open(day, closed):
                continue
            for slot in office.slots:
                free = slot.capacity - booked.get((office.code, day, slot.start), 0)
                if free > 0:
                    yield Appointment(office.code, day, slot.start, slot.end), free


def free_slots(region: str, offices: Iterable[Office], load: Mapping[SlotKey, int], window: tuple[dt.date, dt.date], *,
               today: dt.date, around: dt.date | None = None, max_days: int | None = None,
               holidays: Iterable[dt.date] = (), min_notice_days: int = 1) -> list[tuple[Appointment, int]]:
    """The slots a person of `region` may move to, with their free places, in scheduling order:
    inside `window`, at least `min_notice_days` after `today`, within `max_days` of `around`
    (the original appointment date) when both are given, at an open office of the region, with
    room under `load`. Raises `InputError` (field "window") for a window that ends before it
    starts."""
    start, end = _window(window)
    start = max(start, today + dt.timedelta(days=min_notice_days))
    if around is not None and max_days is not None:
        start, end = max(start, around - dt.timedelta(days=max_days)), min(end, around + dt.timedelta(days=max_days))
    mine = _by_region(offices).get(region, [])
    return list(_seats(mine, start, end, frozenset(holidays), load))


def move_appointment(current: Appointment, office: str, date: dt.date, start: dt.time, *, region: str,
                     offices: Iterable[Office], load: Mapping[SlotKey, int], window: tuple[dt.date, dt.date],
                     today: dt.date, max_days: int | None = None, original: dt.date | None = None,
                     holidays: Iterable[dt.date] = (), min_notice_days: int = 1) -> Appointment:
    """The appointment a person of `region` gets by moving from `current` to the slot of
    `office` starting at `start` on `date`; `load` counts the people in each slot now (the
    person included in their current slot). The caller records the move and the new load.

    The rules, each refused with its own error (no personal data in the messages):

    * the current appointment is at least `min_notice_days` after `today` (else StateError: too
      late to move), and so is the new date (InputError, field "date");
    * the new date is inside the campaign `window` and, when `max_days` is given (the policy's
      limit), at most `max_days` days before or after the `original` appointment date (the
      first one given, so repeated moves cannot walk away; defaults to `current.date`) --
      InputError, field "date";
    * the office is one of the region's (InputError, field "office"), open that day (not a
      closed weekday, closed date or holiday; field "date") and has a slot starting at `start`
      (field "start");
    * the slot is not the current one (InputError, field "start") and has a free place
      (StateError: the slot is full).
    """
    lo, hi = _window(window)
    earliest = today + dt.timedelta(days=min_notice_days)
    if current.date < earliest:
        raise StateError(f"the appointment on {current.date.isoformat()} can no longer be moved "
                         f"(moves are possible until {min_notice_days} day(s) before)")
    target = next((o for o in offices if o.code == office), None)
    if target is None or target.region != region:
        raise InputError(f"office {office!r} is not an office of region {region}", field="office")
    if not lo <= date <= hi:
        raise InputError(f"date: {date.isoformat()} is outside the campaign window {lo.isoformat()} to {hi.isoformat()}",
                         field="date")
    if date < earliest:
        raise InputError(f"date: {date.isoformat()} is too early: the first day you can move to is {earliest.isoformat()}",
                         field="date")
    base = original or current.date
    if max_days is not None and abs((date - base).days) > max_days:
        raise InputError(f"date: {date.isoformat()} is more than {max_days} days from the original appointment "
                         f"({base.isoformat()})", field="date")
    if not target.is_open(date, frozenset(holidays)):
        raise InputError(f"date: office {office} is closed on {date.isoformat()}", field="date")
    slot = target.slot_at(start)
    if slot is None:
        raise InputError(f"start: office {office} has no slot starting at {start:%H:%M}", field="start")
    moved = Appointment(office, date, slot.start, slot.end)
    if moved == current:
        raise InputError("start: that is the current appointment", field="start")
    if load.get(moved.slot, 0) >= slot.capacity:
        raise StateError(f"the slot at {start:%H:%M} on {date.isoformat()} at office {office} is full")
    return moved
