"""The context and the unit of work: actor and time come from the context, a failed unit leaves no trace."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import func, insert, select

from callup import audit
from callup.context import Context, FixedClock, make_actor
from callup.uow import UnitOfWork
from callup_test_support import make_context
from campaign_helpers import create, drawn, load_register, on_day, summary  # tests/campaigns, see conftest.py

UTC = dt.UTC


def _utc(value: dt.datetime) -> dt.datetime:
    """A stored timestamp as an aware UTC instant (SQLite gives it back naive, in UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _head(engine) -> tuple[int, str]:
    with engine.connect() as conn:
        return audit.chain.head(conn)


def test_an_audit_entry_carries_the_contexts_actor_role_and_clock(engine, store_url):
    now = dt.datetime(2027, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
    ctx = make_context(store_url, name="officer-9", role="officer", regions="R01", now=now)
    with UnitOfWork(ctx) as uow:
        entry = uow.record(audit.PersonRead(target=audit.person("P1"), reason="case 12"))
    stored = audit.entries(engine)[-1]
    assert stored == entry
    assert (stored.actor, stored.role, stored.at) == ("officer-9", "officer", "2027-03-04T05:06:07.890123Z")
    assert (stored.action, stored.target, stored.reason) == ("person.read", "person:P1", "case 12")
    assert audit.verify(engine).ok


def test_a_unit_of_work_that_raises_rolls_back_the_change_and_its_audit_entry(ctx, engine):
    from callup.store.registry import Base

    notes = Base.metadata.tables["person_notes"]
    before = _head(engine)
    with pytest.raises(RuntimeError, match="the change failed"), UnitOfWork(ctx) as uow:
        note_id = uow.execute(insert(notes).values(national_id="P1", author="officer", note="secret")).inserted_primary_key[0]
        uow.record(audit.NoteWritten(target=audit.person("P1"), note_id=note_id))
        raise RuntimeError("the change failed")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(notes)).scalar_one() == 0
    assert _head(engine) == before and audit.entries(engine) == []


def test_rows_written_by_services_carry_the_contexts_time(ctx, engine, tmp_path):
    """Every step at its own fixed instant: the rows it writes carry that instant, never the database's clock."""
    from callup.campaigns import replacements, service
    from callup.campaigns.tables import Call
    from callup.register.tables import Import

    calls, campaigns, imports = Call.__table__, service.campaigns_t, Import.__table__
    load_register(ctx, tmp_path, people=4000)  # imported with the clock on 2026-11-01
    days = {step: dt.date(2026, 11, 2 + i) for i, step in enumerate(("create", "freeze", "commit", "draw", "replace"))}
    at = {step: dt.datetime.combine(day, dt.time(9), tzinfo=UTC) for step, day in days.items()}
    create(on_day(ctx, days["create"]), "c", quota=30, over_call="0")
    service.freeze_campaign(on_day(ctx, days["freeze"]), "c")
    service.commit_campaign(on_day(ctx, days["commit"]), "c", beacon_source="round 5")
    service.draw_campaign(on_day(ctx, days["draw"]), "c", beacon_value="v")
    with engine.connect() as conn:
        row = conn.execute(select(campaigns.c.created_at, campaigns.c.frozen_at, campaigns.c.committed_at,
                                  campaigns.c.drawn_at)).one()
        assert [_utc(v) for v in row] == [at["create"], at["freeze"], at["commit"], at["draw"]]
        called_at = {_utc(v) for v in conn.execute(select(calls.c.called_at)).scalars()}
        assert called_at == {at["draw"]}
        started, finished = conn.execute(select(imports.c.started_at, imports.c.finished_at)).one()
        assert _utc(started) == _utc(finished) == dt.datetime(2026, 11, 1, 9, tzinfo=UTC)
        first = conn.execute(select(calls.c.national_id).order_by(calls.c.region, calls.c.position)).scalars().first()
    with UnitOfWork(on_day(ctx, days["replace"])) as uow:
        done = replacements.replace(uow, "c", first, "deferred")
    with engine.connect() as conn:
        released_at = conn.execute(select(calls.c.released_at).where(calls.c.national_id == first)).scalar_one()
        replacement_called_at = conn.execute(select(calls.c.called_at).where(calls.c.national_id == done.replacement)).scalar_one()
    assert _utc(released_at) == _utc(replacement_called_at) == at["replace"]
    stamps = {e.action: e.at for e in audit.entries(engine)}
    assert stamps["campaign.release"] == stamps["campaign.call"] == "2026-11-06T09:00:00.000000Z"
    assert stamps["campaign.create"] == "2026-11-02T09:00:00.000000Z"
    assert summary(ctx, "c").released == 1


def test_several_service_steps_in_one_unit_of_work_commit_together_or_not_at_all(ctx, engine, tmp_path):
    from callup.campaigns import replacements
    from callup.campaigns.tables import Call

    calls = Call.__table__
    load_register(ctx, tmp_path, people=4000)
    drawn(ctx, name="c", quota=30, over_call="0")
    with engine.connect() as conn:
        first, second = conn.execute(select(calls.c.national_id).order_by(calls.c.region, calls.c.position).limit(2)).scalars()
    before, called = _head(engine), summary(ctx, "c")
    with pytest.raises(RuntimeError), UnitOfWork(ctx) as uow:
        replacements.replace(uow, "c", first, "deferred")
        replacements.replace(uow, "c", second, "unfit")
        raise RuntimeError("the decision was withdrawn")
    assert _head(engine) == before and summary(ctx, "c") == called  # neither release, no replacement, no entry
    with UnitOfWork(ctx) as uow:
        replacements.replace(uow, "c", first, "deferred")
        replacements.replace(uow, "c", second, "unfit")
    assert summary(ctx, "c").released == 2 and _head(engine)[0] == before[0] + 4  # two releases, two calls


@pytest.mark.parametrize(("zone", "local_date"), [
    ("UTC", dt.date(2027, 3, 31)),
    ("Europe/Kyiv", dt.date(2027, 4, 1)),  # UTC+3 (summer time since 28 March): 01:30 on 1 April
    ("America/New_York", dt.date(2027, 3, 31)),  # 18:30 on 31 March
    ("Pacific/Kiritimati", dt.date(2027, 4, 1)),  # UTC+14
])
def test_a_fixed_clock_makes_today_the_local_date_of_the_contexts_time_zone(zone, local_date):
    instant = dt.datetime(2027, 3, 31, 22, 30, tzinfo=UTC)
    ctx = Context(actor=make_actor("clerk", "administrator"), database_url="sqlite://", clock=FixedClock(instant), timezone=zone)
    assert ctx.now() == instant and ctx.today() == local_date
    assert ctx.stamp() == "2027-03-31T22:30:00.000000Z"  # the audit log's time is UTC whatever the zone
    next_day = dataclasses.replace(ctx, clock=FixedClock(instant + dt.timedelta(hours=24)))
    assert next_day.today() == local_date + dt.timedelta(days=1)


def test_the_command_lines_context_takes_its_clock_and_time_zone_from_the_environment():
    from callup.environment import context_from_environment

    ctx = context_from_environment(environ={"CALLUP_NOW": "2027-03-31T22:30:00Z", "CALLUP_TIMEZONE": "Europe/Kyiv",
                               "CALLUP_ACTOR": "clerk"}, store=False, keys=False)
    assert ctx.now() == dt.datetime(2027, 3, 31, 22, 30, tzinfo=UTC) and ctx.today() == dt.date(2027, 4, 1)
    assert ctx.actor.name == "clerk" and ctx.actor.role.value == "administrator"


def test_a_naive_fixed_clock_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        FixedClock(dt.datetime(2027, 1, 1))
