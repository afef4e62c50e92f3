"""Summonses that hold under misuse and concurrency: no future deemed delivery, no appointment in the past,
the offices fixed after the first issue, slots never overbooked by simultaneous moves, issue runs that take turns."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import sys
import threading
from collections import Counter

import pytest
from sqlalchemy import select

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "campaigns"))

from callup import audit  # noqa: E402
from callup.errors import CallupError, InputError  # noqa: E402
from callup.examples import path as example  # noqa: E402
from callup.notices import service  # noqa: E402
from callup.notices.errors import NoticeStateError  # noqa: E402
from callup.notices.offices import load_offices  # noqa: E402
from callup.notices.tables import LIVE, Summons  # noqa: E402
from callup.uow import UnitOfWork  # noqa: E402
from campaign_helpers import create, drawn, load_register, on_day, replace  # noqa: E402

summonses = Summons.__table__
OFFICES = example("offices/republic-of-example.csv")
ISSUE_DAY = dt.date(2027, 2, 1)
LIVE_VALUES = [s.value for s in LIVE]


def _drawn(ctx, tmp_path, *, quota=120):  # noqa: ANN001, ANN202
    load_register(ctx, tmp_path, people=6000)
    drawn(ctx, quota=quota, over_call="0")


def _issue(ctx, day, **kwargs):  # noqa: ANN001, ANN003, ANN202
    with UnitOfWork(on_day(ctx, day)) as uow:
        return service.issue_summonses(uow, "spring-2027", **kwargs)


def _live(engine):  # noqa: ANN001, ANN202
    with engine.connect() as conn:
        return conn.execute(select(summonses.c.reference, summonses.c.region, summonses.c.office, summonses.c.date,
                                   summonses.c.start).where(summonses.c.status.in_(LIVE_VALUES))
                            .order_by(summonses.c.id)).mappings().all()


def test_deemed_delivery_refuses_a_date_after_today(ctx, engine, tmp_path):
    _drawn(ctx, tmp_path)
    _issue(ctx, ISSUE_DAY, offices_path=OFFICES)
    with UnitOfWork(on_day(ctx, ISSUE_DAY)) as uow:
        service.publish_notices(uow, "spring-2027")
    day = on_day(ctx, ISSUE_DAY + dt.timedelta(days=30))
    with UnitOfWork(day) as uow, pytest.raises(InputError, match="after today") as refused:
        service.apply_deemed_delivery(uow, "spring-2027", on=dt.date(9999, 12, 31))
    assert refused.value.field == "on"
    with UnitOfWork(day) as uow:  # today itself is fine
        assert service.apply_deemed_delivery(uow, "spring-2027", on=day.today()) > 0


def test_no_appointment_is_sooner_than_the_policy_s_notice_from_today(ctx, engine, tmp_path):
    _drawn(ctx, tmp_path)
    late = dt.date(2027, 3, 25)  # the window opens on 1 April; the policy gives 14 days' notice
    _issue(ctx, late, offices_path=OFFICES)
    dates = [r["date"] for r in _live(engine)]
    assert dates and min(dates) >= late + dt.timedelta(days=14)


def test_a_campaign_whose_window_has_ended_gets_no_summonses_and_none_is_created(ctx, engine, tmp_path):
    _drawn(ctx, tmp_path)
    for day in (dt.date(2027, 12, 4), dt.date(2027, 7, 10)):  # after the window; inside it but under 14 days before its end
        with pytest.raises(NoticeStateError, match="window ends on 2027-07-15"):
            _issue(ctx, day, offices_path=OFFICES)
    assert _live(engine) == []
    with pytest.raises(InputError, match="window ended on 2027-07-15") as refused:
        create(on_day(ctx, dt.date(2027, 12, 4)), "spring-again", window=(dt.date(2027, 4, 1), dt.date(2027, 7, 15)), quota=10)
    assert refused.value.field == "window"


def test_after_the_first_issue_only_the_recorded_offices_file_is_accepted(ctx, engine, tmp_path):
    _drawn(ctx, tmp_path)
    first = _issue(ctx, ISSUE_DAY, offices_path=OFFICES)
    garbage = tmp_path / "garbage.csv"
    garbage.write_text("not,an,offices,file\n1,2,3,4\n")
    unknown_region = tmp_path / "r99.csv"
    unknown_region.write_text(OFFICES.read_text().replace(",R01,", ",R99,"))
    other = tmp_path / "other.csv"
    other.write_text(OFFICES.read_text().replace("180", "170"))
    with pytest.raises(InputError, match="garbage.csv: line 1: missing column"):
        _issue(ctx, ISSUE_DAY, offices_path=garbage)
    with pytest.raises(InputError, match="'R99' is not a region of the policy"):
        _issue(ctx, ISSUE_DAY, offices_path=unknown_region)
    with pytest.raises(InputError, match="another offices file") as refused:
        _issue(ctx, ISSUE_DAY, offices_path=other)
    assert refused.value.field == "offices"
    again = _issue(ctx, ISSUE_DAY, offices_path=OFFICES, default_offices=other)  # the same file, or none: fine
    assert (again.issued, again.already_live) == (0, first.issued)
    assert len(audit.entries(engine, action="notices.issue")) == 1  # a run that changed nothing leaves no entry


def test_notices_show_json_is_one_parsable_document(ctx, engine, tmp_path, monkeypatch, capsys):
    _drawn(ctx, tmp_path)
    _issue(ctx, ISSUE_DAY, offices_path=OFFICES)
    row = _live(engine)[0]
    from callup.cli import main

    monkeypatch.setenv("CALLUP_DATABASE_URL", ctx.database_url)
    monkeypatch.setenv("CALLUP_POLICY", ctx.policy_path)
    monkeypatch.setattr(sys, "argv", ["callup", "notices", "show", row["reference"], "--json"])
    with pytest.raises(SystemExit) as exit_info:
        main()
    out, err = capsys.readouterr()
    assert exit_info.value.code in (0, None), err
    shown = json.loads(out)
    assert (shown["reference"], shown["start"], shown["date"]) == (row["reference"], row["start"].isoformat(), row["date"].isoformat())


# --- concurrency (PostgreSQL, where transactions really run side by side) --------------------------------------


def _together(jobs):  # noqa: ANN001, ANN202
    """Run the callables at the same moment in threads; their results (or the exceptions they raised)."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(i, job):  # noqa: ANN001, ANN202
        barrier.wait()
        try:
            results[i] = job()
        except Exception as exc:  # noqa: BLE001 - collected for the test to judge
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


@pytest.fixture
def postgres_only(store_url):
    if not store_url.startswith("postgresql"):
        pytest.skip("threads race for real only on PostgreSQL; SQLite takes its write lock at BEGIN")


def test_simultaneous_movers_never_fill_a_slot_beyond_its_capacity(ctx, engine, tmp_path, postgres_only):
    _drawn(ctx, tmp_path)
    _issue(ctx, ISSUE_DAY, offices_path=OFFICES)
    rows = _live(engine)
    office_code, first_day = Counter((r["office"], r["date"]) for r in rows).most_common(1)[0][0]
    movers = [r for r in rows if (r["office"], r["date"]) == (office_code, first_day)]
    office = next(o for o in load_offices(OFFICES) if o.code == office_code)
    target = first_day + dt.timedelta(days=1)
    while not office.is_open(target):
        target += dt.timedelta(days=1)
    slot = office.slots[-1]
    assert not any((r["office"], r["date"], r["start"]) == (office_code, target, slot.start) for r in rows)
    assert len(movers) > slot.capacity + 2  # more movers than places: some must be refused

    day = on_day(ctx, ISSUE_DAY)

    def mover(reference):  # noqa: ANN001, ANN202
        def go():  # noqa: ANN202
            with UnitOfWork(day) as uow:
                return service.move(uow, reference, office=office_code, date=target, start=slot.start)
        return go

    results = _together([mover(r["reference"]) for r in movers])
    moved = [r for r in results if isinstance(r, service.SummonsView)]
    refused = [r for r in results if isinstance(r, CallupError)]
    assert len(moved) + len(refused) == len(movers), [r for r in results if not isinstance(r, (service.SummonsView, CallupError))]
    in_slot = sum((r["office"], r["date"], r["start"]) == (office_code, target, slot.start) for r in _live(engine))
    assert in_slot == len(moved) == slot.capacity
    assert all("is full" in str(r) for r in refused)


def test_two_simultaneous_issue_runs_take_turns_and_give_nobody_two_summonses(ctx, engine, tmp_path, postgres_only):
    _drawn(ctx, tmp_path)
    day = on_day(ctx, ISSUE_DAY)

    def issue():  # noqa: ANN202
        with UnitOfWork(day) as uow:
            return service.issue_summonses(uow, "spring-2027", offices_path=OFFICES)

    results = _together([issue, issue])
    assert all(isinstance(r, service.IssueResult) for r in results), results
    assert sorted(r.issued for r in results) == [0, 120]
    live = _live(engine)
    assert len(live) == 120 and len({r["reference"] for r in live}) == 120
    first = live[0]
    with engine.connect() as conn:
        person = conn.execute(select(summonses.c.national_id).where(summonses.c.reference == first["reference"])).scalar_one()
    replace(day, "spring-2027", person, "deferred")  # a replacement issue while someone moves: still one each
    results = _together([issue, issue])
    assert sorted(r.issued for r in results) == [0, 1]
