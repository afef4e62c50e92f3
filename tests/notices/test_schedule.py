"""Scheduling appointments within capacity, and the rules for moving to another slot."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from test_offices import EXAMPLE

from callup.errors import InputError, StateError
from callup.notices.offices import Office, load_offices
from callup.notices.schedule import (
    Appointment,
    Called,
    free_slots,
    move_appointment,
    schedule,
)

MON = dt.date(2026, 4, 6)  # a Monday


def office(code, region, capacity=4, minutes=60, opens=dt.time(8), closes=dt.time(10), days=range(5), closed=()):
    return Office(code, code, region, ("1 Main Street",), frozenset(days), capacity, minutes, opens, closes, frozenset(closed))


def check(result, called, offices, window, holidays=(), booked=None):
    """The properties every schedule has."""
    by_code = {o.code: o for o in offices}
    region_of = {p.key: p.region for p in called}
    unplaced = [k for keys in result.unplaced.values() for k in keys]
    assert sorted(map(str, list(result.appointments) + unplaced)) == sorted(str(p.key) for p in called)
    assert not set(result.appointments) & set(unplaced)
    for region, keys in result.unplaced.items():
        assert all(region_of[k] == region for k in keys)
    for key, a in result.appointments.items():
        o = by_code[a.office]
        assert o.region == region_of[key]
        assert window[0] <= a.date <= window[1]
        assert o.is_open(a.date, frozenset(holidays))
        assert (o.slot_at(a.start).start, o.slot_at(a.start).end) == (a.start, a.end)
    load = result.load(booked)
    for (code, _day, start), n in load.items():
        assert n <= by_code[code].slot_at(start).capacity
    per_day = Counter()
    for (code, day, _), n in load.items():
        per_day[code, day] += n
    for (code, _day), n in per_day.items():
        assert n <= by_code[code].daily_capacity
    # a shortfall only where the region has no free place left in the window
    for region in result.unplaced:
        assert free_slots(region, offices, load, window, today=window[0] - dt.timedelta(days=1), holidays=holidays) == []


def test_fills_the_earliest_days_in_order_and_reports_the_rest():
    offices = [office("B", "R1", capacity=2, minutes=60), office("A", "R1", capacity=1, minutes=120), office("C", "R2")]
    called = [Called(i, "R1", order=f"{9 - i:05d}") for i in range(8)] + [Called("x", "R3")]
    window = (MON, MON + dt.timedelta(days=1))
    result = schedule(called, offices, window)
    # order: postcode descending key, so person 7 first; A (1 a day) before B (2 a day)
    assert [result.appointments[k] for k in (7, 6, 5, 4, 3, 2)] == [
        Appointment("A", MON, dt.time(8), dt.time(10)),
        Appointment("B", MON, dt.time(8), dt.time(9)), Appointment("B", MON, dt.time(9), dt.time(10)),
        Appointment("A", MON + dt.timedelta(days=1), dt.time(8), dt.time(10)),
        Appointment("B", MON + dt.timedelta(days=1), dt.time(8), dt.time(9)),
        Appointment("B", MON + dt.timedelta(days=1), dt.time(9), dt.time(10)),
    ]
    assert result.unplaced == {"R1": [1, 0], "R3": ["x"]}
    assert result.shortfall == {"R1": 2, "R3": 1}
    check(result, called, offices, window)


def test_weekends_holidays_closed_dates_and_booked_places_are_skipped():
    offices = [office("A", "R1", capacity=2, minutes=60, closed=[MON + dt.timedelta(days=1)])]
    window = (MON - dt.timedelta(days=2), MON + dt.timedelta(days=3))  # Sat .. Thu
    booked = {("A", MON + dt.timedelta(days=2), dt.time(8)): 1}
    called = [Called(i, "R1", order=i) for i in range(3)]
    result = schedule(called, offices, window, holidays=[MON], booked=booked)
    assert [(a.date - MON).days for a in result.appointments.values()] == [2, 3, 3]
    assert [a.start for a in result.appointments.values()] == [dt.time(9), dt.time(8), dt.time(9)]
    check(result, called, offices, window, [MON], booked)


def test_deterministic_whatever_the_input_order():
    offices = [office(c, f"R{i % 3}", capacity=3) for i, c in enumerate("ABCDEF")]
    called = [Called(i, f"R{i % 4}", order=i % 5) for i in range(80)]
    window = (MON, MON + dt.timedelta(days=6))
    first = schedule(called, offices, window)
    shuffled_called, shuffled_offices = called[:], offices[:]
    random.Random(1).shuffle(shuffled_called)
    random.Random(2).shuffle(shuffled_offices)
    again = schedule(shuffled_called, shuffled_offices, window)
    assert first.appointments == again.appointments and first.unplaced == again.unplaced


def test_bad_input():
    with pytest.raises(InputError) as caught:
        schedule([], [], (MON, MON - dt.timedelta(days=1)))
    assert caught.value.field == "window"
    with pytest.raises(ValueError, match="given twice"):
        schedule([Called(1, "R1"), Called(1, "R1")], [], (MON, MON))
    with pytest.raises(ValueError, match="given twice"):
        schedule([], [office("A", "R1"), office("A", "R2")], (MON, MON))


times = st.sampled_from([dt.time(8), dt.time(9, 30), dt.time(12)])


@st.composite
def offices_strategy(draw):
    result = []
    for i in range(draw(st.integers(0, 5))):
        opens = draw(times)
        minutes = draw(st.sampled_from([15, 30, 45, 60, 90]))
        span = draw(st.integers(1, 6)) * minutes + draw(st.integers(0, minutes - 1))
        closes = (dt.datetime.combine(MON, opens) + dt.timedelta(minutes=span)).time()
        result.append(Office(
            f"O{i}", f"O{i}", draw(st.sampled_from(["R1", "R2", "R3"])), ("x",),
            frozenset(draw(st.sets(st.integers(0, 6), min_size=1))), draw(st.integers(1, 12)), minutes, opens, closes,
            frozenset(MON + dt.timedelta(days=d) for d in draw(st.sets(st.integers(0, 20), max_size=3)))))
    return result


@given(offices_strategy(), st.lists(st.tuples(st.sampled_from(["R1", "R2", "R3", "R4"]), st.integers(0, 9)), max_size=150),
       st.integers(0, 5), st.integers(0, 14), st.sets(st.integers(0, 20), max_size=4), st.data())
@settings(max_examples=150, deadline=None)
def test_property_within_capacity_everyone_placed_or_reported(offices, people, offset, length, holiday_days, data):
    window = (MON + dt.timedelta(days=offset), MON + dt.timedelta(days=offset + length))
    holidays = [MON + dt.timedelta(days=d) for d in holiday_days]
    called = [Called(i, region, order=order) for i, (region, order) in enumerate(people)]
    booked = {}
    for o in offices:
        for slot in o.slots[:2]:
            booked[o.code, window[0], slot.start] = data.draw(st.integers(0, slot.capacity))
    result = schedule(called, offices, window, holidays=holidays, booked=booked)
    check(result, called, offices, window, holidays, booked)


def test_the_example_offices_take_a_spring_campaign_of_the_example_register_size():
    offices = load_offices(EXAMPLE)
    regions = sorted({o.region for o in offices})
    weights = 1 / np.arange(1, len(regions) + 1) ** 1.05  # region sizes as `callup synth` makes them
    np.random.default_rng(0).shuffle(weights)
    rng = random.Random(0)
    called = [Called(i, r, order=f"{rng.randrange(100000):05d}") for i, r in enumerate(rng.choices(regions, weights, k=216_040))]
    window = (dt.date(2026, 4, 1), dt.date(2026, 7, 15))
    result = schedule(called, offices, window)
    assert result.unplaced == {}
    assert len(result.appointments) == len(called)


# --- moves -----------------------------------------------------------------------------------

OFFICES = [office("A", "R1", capacity=2, minutes=60), office("B", "R1", capacity=2, minutes=60, days=[0, 2]),
           office("C", "R2")]
WINDOW = (MON, MON + dt.timedelta(days=13))
CURRENT = Appointment("A", MON + dt.timedelta(days=7), dt.time(8), dt.time(9))


def move(office="A", date=MON + dt.timedelta(days=8), start=dt.time(9), **kw):
    args = {"region": "R1", "offices": OFFICES, "load": {CURRENT.slot: 1}, "window": WINDOW, "today": MON, "max_days": 3}
    args.update(kw)
    return move_appointment(CURRENT, office, date, start, **args)


def test_a_move_to_a_free_slot():
    assert move() == Appointment("A", MON + dt.timedelta(days=8), dt.time(9), dt.time(10))
    assert move("B", MON + dt.timedelta(days=9), dt.time(8)) == Appointment("B", MON + dt.timedelta(days=9), dt.time(8), dt.time(9))


@pytest.mark.parametrize("kw, error, field, message", [
    ({"office": "C"}, InputError, "office", "not an office of region R1"),
    ({"office": "Z"}, InputError, "office", "not an office of region R1"),
    ({"date": MON + dt.timedelta(days=14), "max_days": None}, InputError, "date", "outside the campaign window"),
    ({"date": MON + dt.timedelta(days=11)}, InputError, "date", "more than 3 days from the original"),
    ({"date": MON + dt.timedelta(days=9), "original": MON + dt.timedelta(days=5)}, InputError, "date", "more than 3 days"),
    ({"date": MON, "max_days": None}, InputError, "date", "too early"),
    ({"date": MON + dt.timedelta(days=1), "today": MON + dt.timedelta(days=1), "max_days": None}, InputError, "date", "too early"),
    ({"date": MON + dt.timedelta(days=5)}, InputError, "date", "closed on 2026-04-11"),
    ({"office": "B", "date": MON + dt.timedelta(days=8)}, InputError, "date", "office B is closed"),
    ({"date": MON + dt.timedelta(days=8), "holidays": [MON + dt.timedelta(days=8)]}, InputError, "date", "closed"),
    ({"start": dt.time(8, 30)}, InputError, "start", "no slot starting at 08:30"),
    ({"date": CURRENT.date, "start": dt.time(8)}, InputError, "start", "the current appointment"),
])
def test_moves_refused(kw, error, field, message):
    with pytest.raises(error, match=message) as caught:
        move(**kw)
    assert caught.value.field == field


def test_a_full_slot_and_a_passed_appointment_are_state_errors():
    target = (MON + dt.timedelta(days=8), dt.time(9))
    with pytest.raises(StateError, match="is full"):
        move(load={CURRENT.slot: 1, ("A", *target): 1})
    with pytest.raises(StateError, match="can no longer be moved"):
        move(today=CURRENT.date)
    with pytest.raises(StateError, match="can no longer be moved"):
        move(today=CURRENT.date - dt.timedelta(days=1), min_notice_days=2)


def test_free_slots_lists_what_a_move_accepts():
    today = MON + dt.timedelta(days=5)  # Saturday; the current appointment is the Monday after
    load = {CURRENT.slot: 1, ("A", MON + dt.timedelta(days=8), dt.time(9)): 1}  # one place per slot
    slots = free_slots("R1", OFFICES, load, WINDOW, today=today, around=CURRENT.date, max_days=1)
    assert [(a.office, (a.date - MON).days, a.start.hour, free) for a, free in slots] == [
        ("A", 7, 9, 1), ("B", 7, 8, 1), ("B", 7, 9, 1), ("A", 8, 8, 1),
    ]
    for a, _ in slots:
        assert move_appointment(CURRENT, a.office, a.date, a.start, region="R1", offices=OFFICES, load=load, window=WINDOW,
                                today=today, max_days=1) == a


@given(st.integers(0, 13), st.sampled_from([dt.time(8), dt.time(9)]), st.sampled_from(["A", "B", "C"]),
       st.integers(0, 10), st.one_of(st.none(), st.integers(0, 5)), st.integers(0, 2))
@settings(max_examples=300, deadline=None)
def test_property_a_move_that_succeeds_keeps_every_rule(day, start, code, today_offset, max_days, other):
    today = MON + dt.timedelta(days=today_offset)
    date = MON + dt.timedelta(days=day)
    load = {CURRENT.slot: 1, ("A", date, start): other}
    try:
        moved = move_appointment(CURRENT, code, date, start, region="R1", offices=OFFICES, load=load, window=WINDOW,
                                 today=today, max_days=max_days)
    except (InputError, StateError):
        return
    target = {o.code: o for o in OFFICES}[moved.office]
    assert target.region == "R1" and target.is_open(moved.date)
    assert WINDOW[0] <= moved.date <= WINDOW[1] and moved.date > today and CURRENT.date > today
    assert max_days is None or abs((moved.date - CURRENT.date).days) <= max_days
    assert load.get(moved.slot, 0) + 1 <= target.slot_at(moved.start).capacity
    assert moved != CURRENT
