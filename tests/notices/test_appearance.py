"""An appearance (appeared / did not appear) is recorded only for a delivered summons and only on or after its
appointment's day, by the service itself (so the command line, the API, the console and jobs all hold it)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import pathlib
import sys

import pytest
from hypothesis import given, strategies as st

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "campaigns"))

from callup.context import FixedClock  # noqa: E402
from callup.examples import path as example  # noqa: E402
from callup.notices import service  # noqa: E402
from callup.notices.errors import NoticeStateError  # noqa: E402
from callup.notices.tables import NoticeStatus  # noqa: E402
from callup.uow import UnitOfWork  # noqa: E402
from campaign_helpers import drawn, load_register, on_day  # noqa: E402

ISSUE_DAY = dt.date(2027, 2, 1)


def _issued(ctx, tmp_path):  # noqa: ANN001, ANN202
    load_register(ctx, tmp_path, people=1500)
    drawn(ctx, quota=30, over_call="0")
    day = on_day(ctx, ISSUE_DAY)
    with UnitOfWork(day) as uow:
        service.issue_summonses(uow, "spring-2027", offices_path=example("offices/republic-of-example.csv"))
        service.publish_notices(uow, "spring-2027")
    return day


def _references(day, n=3):  # noqa: ANN001, ANN202
    from sqlalchemy import select

    from callup.notices.tables import Summons

    t = Summons.__table__
    with UnitOfWork(day, write=False) as uow:
        return [r for (r,) in uow.execute(select(t.c.reference).order_by(t.c.id).limit(n)).all()]


def _at(ctx, when: dt.datetime):  # noqa: ANN001, ANN202
    return dataclasses.replace(ctx, clock=FixedClock(when))


def _appearance(day, reference):  # noqa: ANN001, ANN202
    with UnitOfWork(day, write=False) as uow:
        return service.view(uow, reference).appearance


def test_no_outcome_before_the_appointment_s_day_or_for_an_undelivered_summons(ctx, tmp_path):
    day = _issued(ctx, tmp_path)
    undelivered, early, _ = _references(day)
    with UnitOfWork(day) as uow:
        appointment = service.view(uow, undelivered).date
        service.acknowledge(uow, early, evidence="acknowledged at the counter")
    on_the_day = _at(day, dt.datetime.combine(appointment, dt.time(8), tzinfo=dt.UTC))
    with UnitOfWork(on_the_day) as uow, pytest.raises(NoticeStateError, match="not been delivered") as refused:
        service.record_appearance(uow, undelivered, "no_show")
    assert refused.value.field == "outcome" and refused.value.http_status == 409
    with UnitOfWork(day) as uow, pytest.raises(NoticeStateError, match="an appearance is recorded on or after that day"):
        service.record_appearance(uow, early, "no_show")
    assert _appearance(day, undelivered) is None and _appearance(day, early) is None  # nothing written


def test_a_delivered_summons_takes_its_outcome_from_the_appointment_s_day_on(ctx, tmp_path):
    day = _issued(ctx, tmp_path)
    reference = _references(day, 1)[0]
    with UnitOfWork(day) as uow:
        view = service.acknowledge(uow, reference, evidence="acknowledged at the counter")
    eve = _at(day, dt.datetime.combine(view.date - dt.timedelta(days=1), dt.time(23), tzinfo=dt.UTC))
    with UnitOfWork(eve) as uow, pytest.raises(NoticeStateError):
        service.record_appearance(uow, reference, "appeared")
    morning = _at(day, dt.datetime.combine(view.date, dt.time(0, 1), tzinfo=dt.UTC))
    with UnitOfWork(morning) as uow:
        assert service.record_appearance(uow, reference, "appeared").appearance == "appeared"
    later = _at(day, dt.datetime.combine(view.date + dt.timedelta(days=30), dt.time(9), tzinfo=dt.UTC))
    with UnitOfWork(later) as uow:
        assert service.record_appearance(uow, reference, "no_show").appearance == "no_show"


def test_a_cancelled_summons_takes_no_outcome_even_after_its_day(ctx, tmp_path):
    day = _issued(ctx, tmp_path)
    reference = _references(day, 1)[0]
    with UnitOfWork(day) as uow:
        view = service.acknowledge(uow, reference, evidence="acknowledged at the counter")
        from sqlalchemy import update

        from callup.notices.tables import Summons

        uow.execute(update(Summons.__table__).where(Summons.__table__.c.reference == reference)
                    .values(status=NoticeStatus.cancelled))
    after = _at(day, dt.datetime.combine(view.date, dt.time(12), tzinfo=dt.UTC))
    with UnitOfWork(after) as uow, pytest.raises(NoticeStateError, match="cancelled"):
        service.record_appearance(uow, reference, "appeared")


@given(status=st.sampled_from(list(NoticeStatus)), offset=st.integers(-400, 400))
def test_the_rule_allows_exactly_delivered_summonses_on_or_after_their_day(status, offset):
    date = dt.date(2027, 5, 1)
    refusal = service.appearance_refusal(status.value, date, date + dt.timedelta(days=offset))
    delivered = status in (NoticeStatus.delivered, NoticeStatus.acknowledged)
    assert (refusal is None) == (delivered and offset >= 0)
    if refusal is not None:
        assert refusal.strip() and "\n" not in refusal


@pytest.mark.parametrize("run", range(3))
def test_a_day_sheet_racing_a_single_recording_records_each_person_once(ctx, tmp_path, run):
    """Both pages showed nobody recorded; the sheet and a colleague's summons page are sent at once. Whichever
    commits first records the shared person; the other is refused as a whole (the sheet) or alone (the page)."""
    import concurrent.futures
    import threading

    from callup.audit import entries

    day = _issued(ctx, tmp_path)
    references = _references(day, 3)
    with UnitOfWork(day) as uow:
        views = [service.acknowledge(uow, r, evidence="acknowledged at the counter") for r in references]
    later = _at(day, dt.datetime.combine(max(v.date for v in views), dt.time(18), tzinfo=dt.UTC))
    start = threading.Barrier(2, timeout=60)

    def sheet():  # noqa: ANN202
        start.wait()
        with UnitOfWork(later) as uow:
            return service.record_appearances(uow, [service.AppearanceChoice(r, "appeared", None) for r in references])

    def single():  # noqa: ANN202
        start.wait()
        with UnitOfWork(later) as uow:
            return service.record_appearance(uow, references[1], "no_show", shown=None)

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(sheet), pool.submit(single)]
    errors = [f.exception() for f in futures]
    assert sum(e is None for e in errors) == 1, errors
    assert all(isinstance(e, service.AppearanceChanged | service.AppearancesRefused) for e in errors if e is not None)
    recorded = [e.details["reference"] for e in entries(later.engine(), action="notices.change") if e.details.get("step") == "appearance"]
    assert sorted(recorded) == sorted(set(recorded)) and references[1] in recorded  # each person at most once
    expected = "appeared" if errors[0] is None else "no_show"
    assert _appearance(day, references[1]) == expected
    assert len(recorded) == (3 if errors[0] is None else 1)
