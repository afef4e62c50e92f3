"""The medical board's day on both backends: who is expected at an office, each person's examination, and one
examination with what its category caused (the released person's replacement named)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import select

from callup import audit
from callup.cases import medical
from callup.cases.errors import CaseInputError
from callup.errors import Forbidden
from callup.examples import path as example
from callup.notices import service as notices
from callup.notices.tables import Summons
from callup.uow import UnitOfWork
from case_helpers import CAMPAIGN, as_role, drawn_campaign, on_day

ISSUE_DAY = dt.date(2027, 2, 1)
summonses = Summons.__table__


def _issued(ctx, tmp_path):  # noqa: ANN001, ANN202
    """A drawn campaign with summonses issued; the busiest (office, day, region) of its appointments."""
    day = drawn_campaign(ctx, tmp_path)
    with UnitOfWork(on_day(ctx, ISSUE_DAY)) as uow:
        notices.issue_summonses(uow, CAMPAIGN, offices_path=example("offices/republic-of-example.csv"))
    with UnitOfWork(day, write=False) as uow:
        rows = uow.execute(select(summonses.c.office, summonses.c.date, summonses.c.region)).all()
    return day, Counter(tuple(r) for r in rows).most_common(1)[0][0]


def _board(day, region, date):  # noqa: ANN001, ANN202
    return on_day(as_role(day, "medical", name="dr-board", regions=region), date)


def test_the_board_sees_who_is_expected_at_its_office_on_a_day_by_time_with_names_and_references(ctx, engine, tmp_path):
    day, (office, date, region) = _issued(ctx, tmp_path)
    board = _board(day, region, date)
    with UnitOfWork(board) as uow:
        listed = medical.examination_day(uow, office=office)
    assert (listed.office, listed.day) == (office, date) and office in listed.offices
    assert len(listed.expected) >= 2 and [p.start for p in listed.expected] == sorted(p.start for p in listed.expected)
    assert all(p.name.strip() and p.reference and p.may_open and p.state is None for p in listed.expected)
    read = {e.details["reference"] for e in audit.entries(engine, action="notices.read") if e.details["view"] == "medical board's day"}
    assert read == {p.reference for p in listed.expected}  # every person listed is an audited read
    with UnitOfWork(board) as uow:
        assert medical.examination_day(uow, office=office, day=date - dt.timedelta(days=1)).expected == []
    with UnitOfWork(on_day(board, date - dt.timedelta(days=1))) as uow:  # the day before: listed, nobody examined yet
        ahead = medical.examination_day(uow, office=office, day=date).expected
    assert [p.reference for p in ahead] == [p.reference for p in listed.expected] and not any(p.may_open for p in ahead)
    other = next(r for r in ("R01", "R02", "R03", "R04", "R05") if r != region)
    with UnitOfWork(on_day(as_role(day, "medical", regions=other), date)) as uow:
        with pytest.raises(CaseInputError, match="holds no appointments in your regions"):
            medical.examination_day(uow, office=office)
    with UnitOfWork(as_role(day, "citizen", person_id=listed.expected[0].national_id)) as uow:
        with pytest.raises(Forbidden):
            medical.examination_day(uow, office=office)


def test_an_unfit_category_shows_the_release_and_names_the_replacement_called_from_the_reserve(ctx, engine, tmp_path):
    day, (office, date, region) = _issued(ctx, tmp_path)
    board = _board(day, region, date)
    with UnitOfWork(board) as uow:
        first = medical.examination_day(uow, office=office).expected[0]
        case = medical.open_examination(uow, first.campaign, first.national_id)
    with UnitOfWork(board) as uow:
        waiting = medical.examination(uow, case.id)
    assert (waiting.name, waiting.reference, waiting.category, waiting.released) == (first.name, first.reference, None, False)
    assert [c.code for c in waiting.categories] == ["A", "B", "V", "G", "D"]
    with UnitOfWork(board) as uow:
        medical.decide_fitness(uow, case.id, "D", details="chronic condition")
    with UnitOfWork(board) as uow:
        done = medical.examination(uow, case.id)
        after = medical.examination_day(uow, office=office)
    assert done.category is not None and done.category.code == "D" and done.released and done.filled_by == "reserve"
    assert done.replacement and done.replacement != first.national_id and done.replacement_name
    assert done.replacement_reference is None  # their summons comes with the next issue
    mine = next(p for p in after.expected if p.national_id == first.national_id)
    assert (mine.state, mine.category, mine.call_live, mine.may_open) == ("unfit", "D", False, False)


def test_an_open_examination_of_another_day_stays_on_the_board_s_list_until_decided(ctx, engine, tmp_path):
    day, (office, date, region) = _issued(ctx, tmp_path)
    board = _board(day, region, date)
    with UnitOfWork(board) as uow:
        first = medical.examination_day(uow, office=office).expected[0]
        case = medical.open_examination(uow, first.campaign, first.national_id)
    later = on_day(board, date + dt.timedelta(days=1))
    with UnitOfWork(later) as uow:
        listed = medical.examination_day(uow, office=office)
    assert [(p.case, p.state, p.name) for p in listed.open_elsewhere] == [(case.id, "open", first.name)]
    with UnitOfWork(later) as uow:
        medical.decide_fitness(uow, case.id, "A")
        assert medical.examination_day(uow, office=office).open_elsewhere == []


def test_only_the_medical_board_records_a_category_and_a_temporary_one_needs_its_date(ctx, engine, tmp_path):
    day, (office, date, region) = _issued(ctx, tmp_path)
    board = _board(day, region, date)
    with UnitOfWork(board) as uow:
        first = medical.examination_day(uow, office=office).expected[0]
        case = medical.open_examination(uow, first.campaign, first.national_id)
    for role in ("officer", "administrator", "auditor"):
        with UnitOfWork(on_day(as_role(day, role, regions=region if role == "officer" else None), date)) as uow:
            with pytest.raises(Forbidden, match="recording a fitness category needs the role medical"):
                medical.decide_fitness(uow, case.id, "A")
    with UnitOfWork(board) as uow:
        with pytest.raises(CaseInputError, match="category G is temporary: give the re-examination date"):
            medical.decide_fitness(uow, case.id, "G")
    with UnitOfWork(board) as uow:
        medical.decide_fitness(uow, case.id, "G", reexamine_on=date + dt.timedelta(days=180))
        done = medical.examination(uow, case.id)
    assert done.case.until == date + dt.timedelta(days=180) and done.category.reexamine_months == 12 and done.released
