"""A list of releases (`release_many`, one statement for many) fills each call exactly as releasing one after another.

Each example takes the same store, as a region's history left it (a call given back on appeal, so one replacement
is beyond the number; people of the reserve who died), releases a list in one unit of work and the same list one
by one in another, and rolls both back: the answers, the calls, the public record's lines and the audit entries
must be the same.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select, update

from callup.audit.tables import AuditSubject
from callup.campaigns import replacements, service
from callup.campaigns.errors import NotCalled
from callup.campaigns.tables import Call, OrderEntry, ReplacementEntry
from callup.notices import releases
from callup.register.tables import Person
from callup.uow import UnitOfWork
from campaign_helpers import TODAY, create, load_register, on_day

pytestmark = pytest.mark.db

calls, order, log, subjects = Call.__table__, OrderEntry.__table__, ReplacementEntry.__table__, AuditSubject.__table__
CAMPAIGN = "spring-2027"


class _RolledBack(Exception):
    """Raised to leave a unit of work without committing what it did, carrying what it saw."""

    def __init__(self, seen: object) -> None:
        self.seen = seen


def _regions(engine, campaign_id: int) -> dict[str, tuple[list[str], list[str]]]:  # noqa: ANN001
    """Each region's called people and its reserve, in position order."""
    with engine.connect() as conn:
        rows = conn.execute(select(order.c.region, order.c.national_id).where(order.c.campaign_id == campaign_id)
                            .order_by(order.c.region, order.c.position)).all()
        called = set(conn.execute(select(calls.c.national_id).where(calls.c.campaign_id == campaign_id)).scalars())
    found: dict[str, tuple[list[str], list[str]]] = {}
    for region, national_id in rows:
        mine = found.setdefault(region, ([], []))
        mine[0 if national_id in called else 1].append(national_id)
    return found


@pytest.fixture
def history(ctx, engine, tmp_path):  # noqa: ANN001, ANN201
    """A drawn campaign where, in two regions, releases were filled, two were given back on appeal (their replacements
    kept beyond the number) and people early in the reserve died; the people a list may name."""
    ctx = on_day(ctx, TODAY + dt.timedelta(days=1))
    load_register(ctx, tmp_path, people=3000)
    create(ctx, CAMPAIGN, quota=40, over_call="0")
    service.freeze_campaign(ctx, CAMPAIGN)
    service.commit_campaign(ctx, CAMPAIGN, unverified="rehearsal")
    service.draw_campaign(ctx, CAMPAIGN, beacon_value="rehearsal value", unverified=True)
    with engine.connect() as conn:
        campaign_id = conn.execute(select(service.campaigns_t.c.id)).scalar_one()
    regions = sorted(((r, c, v) for r, (c, v) in _regions(engine, campaign_id).items() if len(c) >= 3 and len(v) >= 8),
                     key=lambda x: x[0])[:2]
    assert len(regions) == 2, "two regions with three called and a reserve of eight"
    (_, called_a, reserve_a), (_, called_b, reserve_b) = regions
    with engine.begin() as conn:  # died: passed over when the reserve reaches them
        conn.execute(update(Person.__table__).where(Person.__table__.c.national_id.in_([reserve_a[1], reserve_b[0], reserve_b[1]]))
                     .values(civil_status="deceased"))
    with UnitOfWork(ctx) as uow:
        first = releases.release(uow, CAMPAIGN, called_a[0], "unfit")
        second = releases.release(uow, CAMPAIGN, called_a[1], "exempted")  # reserve_a[1] died: passed over
    with UnitOfWork(ctx) as uow:  # both given back on appeal: their replacements keep their calls, beyond the number
        assert replacements.restore_call(uow, campaign_id, called_a[0], "unfit", first.replacement)
        assert replacements.restore_call(uow, campaign_id, called_a[1], "exempted", second.replacement)
    with UnitOfWork(ctx) as uow:
        releases.release(uow, CAMPAIGN, called_b[0], "deferred")
    # Everyone a list may name: called (one already released), the two beyond the number, the reserve (not called
    # until a release of the list reaches them), someone never in the campaign.
    names = [*called_a, first.replacement, second.replacement, *called_b[:2], *reserve_a[3:5], reserve_b[2], "NOT-IN-CAMPAIGN"]
    return ctx, engine, campaign_id, list(dict.fromkeys(names))


def _state(uow: UnitOfWork, campaign_id: int) -> tuple:
    """The calls, the record's lines and the unit's audit entries (in no particular order: a list writes its entries
    of one kind together), as a unit of work left them before committing."""
    got = sorted(tuple(r) for r in uow.execute(select(calls.c.national_id, calls.c.region, calls.c.position, calls.c.source,
                                                      calls.c.replaces, calls.c.release_reason).where(calls.c.campaign_id == campaign_id)))
    lines = [json.loads(line) for line in uow.execute(select(log.c.line).where(log.c.campaign_id == campaign_id).order_by(log.c.seq)).scalars()]
    tail = uow.audit_tail
    # A person named for the first time gets a new random commitment in each unit: compare whom entries name.
    whom = dict(uow.execute(select(subjects.c.commitment, subjects.c.national_id)).tuples().all())

    def named(text: str) -> str:
        return re.sub(r"person#[0-9a-f]{32}", lambda m: whom[m.group(0)], text)

    entries = sorted((e[4], named(e[5]), e[6] or "", named(e[7])) for e in tail.pending) if tail is not None else []
    return got, lines, entries


def _run(ctx, campaign_id: int, items: list[tuple[str, str]], *, together: bool) -> tuple:  # noqa: ANN001
    """What releasing `items` gives (the answers and the state, or the error), rolled back afterwards."""
    try:
        with UnitOfWork(ctx) as uow:
            try:
                if together:
                    done = releases.release_many(uow, CAMPAIGN, items)
                else:
                    done = [releases.release(uow, CAMPAIGN, n, r) for n, r in items]
            except NotCalled as e:
                raise _RolledBack(("refused", str(e))) from None
            raise _RolledBack((done, _state(uow, campaign_id)))
    except _RolledBack as back:
        return back.seen


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_list_of_releases_fills_each_call_as_releasing_them_one_by_one_would(history, data):
    ctx, engine, campaign_id, names = history
    items = data.draw(st.lists(st.tuples(st.sampled_from(names), st.sampled_from(["unfit", "deferred", "exempted"])),
                               min_size=2, max_size=8))
    together = _run(ctx, campaign_id, items, together=True)
    alone = _run(ctx, campaign_id, items, together=False)
    assert together == alone


def test_a_list_reaches_past_dead_people_and_calls_a_replacement_a_later_item_releases(history):
    """The paths a list must take as one by one would, named: the one beyond the number ends (nobody new), a release
    is filled by them first when they are still beyond it, the reserve passes over the dead, and a replacement the
    list called is released by a later item of the same list."""
    ctx, engine, campaign_id, names = history
    with UnitOfWork(ctx) as uow:
        calls_now = {r.national_id: r for r in uow.execute(select(calls).where(calls.c.campaign_id == campaign_id))}
    spare = min((r for r in calls_now.values() if r.replaces is not None and r.release_reason is None
                 and calls_now[r.replaces].release_reason is None), key=lambda r: r.position).national_id
    region = calls_now[spare].region
    live = [n for n, r in calls_now.items() if r.region == region and r.release_reason is None and r.replaces is None]
    reserve = [n for n in names if n not in calls_now and n != "NOT-IN-CAMPAIGN"]
    # The first release is filled by the first beyond the number; the second releases the person the other one beyond
    # the number replaced (who is then no longer beyond it), so the third is filled from the reserve; the fourth
    # releases the third again.
    other = next(r.national_id for r in calls_now.values() if r.replaces is not None and r.release_reason is None
                 and calls_now[r.replaces].release_reason is None and r.national_id != spare)
    live = [n for n in live if n != calls_now[other].replaces]
    items = [(live[0], "deferred"), (calls_now[other].replaces, "unfit"), (live[1], "unfit"), (live[1], "unfit")]
    done, _ = _run(ctx, campaign_id, items, together=True)
    assert [d.released for d in done] == [n for n, _ in items]
    assert (done[0].filled_by, done[0].replacement) == ("supernumerary", spare)
    assert (done[1].filled_by, done[1].replacement) == ("supernumerary", other)
    assert done[2].filled_by == "reserve" and done[2].replacement in reserve
    assert done[3].already_done and done[3].replacement == done[2].replacement
    then = [*items, (done[2].replacement, "exempted")]  # the replacement this list called, released by it
    again, _ = _run(ctx, campaign_id, then, together=True)
    assert again[4].released == done[2].replacement and not again[4].already_done
    assert _run(ctx, campaign_id, then, together=False) == _run(ctx, campaign_id, then, together=True)
