"""Region scope: a regional officer reads and changes only people of their regions, through every service.

Outside the scope the answer is "not found" (the same as for nobody, so it reveals nothing) and
nothing is written, not even an audit entry; the same calls for a person of the officer's region
work. A citizen sees only themselves.
"""

from __future__ import annotations

import dataclasses
import pathlib

import pytest
from sqlalchemy import select

from callup import audit
from callup.campaigns import replacements, service
from callup.campaigns.tables import Call
from callup.errors import Forbidden, NotFound
from callup.register.eligibility import eligibility, eligible_pool, exclusions
from callup.register.queries import get_person, register_stats
from callup.uow import UnitOfWork
from callup_test_support import make_context
from campaign_helpers import WINDOW, drawn, load_register  # tests/campaigns, see conftest.py

calls = Call.__table__
CAMPAIGN = "spring-2027"


@dataclasses.dataclass
class World:
    admin: object
    officer: object
    inside: list[str]  # called people of R01
    outside: list[str]  # called people of other regions
    engine: object


@pytest.fixture
def world(ctx, engine, tmp_path) -> World:
    load_register(ctx, tmp_path, people=6000)
    drawn(ctx, name=CAMPAIGN, quota=600, over_call="0")
    with engine.connect() as conn:
        rows = conn.execute(select(calls.c.national_id, calls.c.region).order_by(calls.c.region, calls.c.position)).all()
    inside = [n for n, r in rows if r == "R01"]
    outside = [n for n, r in rows if r != "R01"]
    assert len(inside) >= 2 and len(outside) >= 2
    officer = make_context(ctx.database_url, name="officer-r01", role="officer", regions="R01")
    return World(ctx, officer, inside, outside, engine)


def _head(engine) -> tuple[int, str]:
    with engine.connect() as conn:
        return audit.chain.head(conn)


def _read(ctx, fn, *args, **kwargs):  # noqa: ANN001, ANN202
    with UnitOfWork(ctx) as uow:
        return fn(uow, *args, **kwargs)


def test_a_regional_officer_reads_no_one_outside_their_region(world):
    officer, other, mine = world.officer, world.outside[0], world.inside[0]
    before = _head(world.engine)
    with pytest.raises(NotFound) as outside:
        _read(officer, get_person, other, reason="curious")
    with pytest.raises(NotFound) as nobody:
        _read(officer, get_person, "NO-SUCH-PERSON")
    assert str(outside.value) == str(nobody.value)  # the answer does not tell that the person exists
    with pytest.raises(NotFound):
        _read(officer, service.person_in_campaign, CAMPAIGN, other, reason="curious")
    assert _head(world.engine) == before  # refused reads leave no audit entry either

    assert _read(officer, get_person, mine, reason="case 1")["region"] == "R01"
    assert _read(officer, service.person_in_campaign, CAMPAIGN, mine, reason="case 1").region == "R01"
    assert [(e.actor, e.target) for e in audit.entries(world.engine)[-2:]] == [("officer-r01", audit.person(mine))] * 2

    national, regional = _read(world.admin, register_stats), _read(officer, register_stats)
    assert set(regional.by_region) == {"R01"} and regional.people == national.by_region["R01"] < national.people
    everyone, scoped = _read(world.admin, service.campaign_summary, CAMPAIGN), _read(officer, service.campaign_summary, CAMPAIGN)
    assert [r.region for r in scoped.regions] == ["R01"] and scoped.called == len(world.inside) < everyone.called
    assert [r for r in everyone.regions if r.region == "R01"] == scoped.regions

    version = world.admin.policy().in_force(WINDOW[0])
    counts = eligibility(officer, version, WINDOW[0])
    assert set(counts.by_region) == {"R01"} and counts.eligible == eligibility(world.admin, version, WINDOW[0]).by_region["R01"]
    assert set(eligible_pool(officer, version, WINDOW[0]).column("region").to_pylist()) == {"R01"}
    assert set(exclusions(officer, version, WINDOW[0]).column("region").to_pylist()) <= {"R01"}


def test_a_regional_officer_changes_no_one_outside_their_region(world):
    officer, other, mine = world.officer, world.outside[0], world.inside[0]
    before = _head(world.engine)
    with pytest.raises(NotFound, match="not called"):
        _read(officer, replacements.replace, CAMPAIGN, other, "deferred")
    assert _head(world.engine) == before
    with world.engine.connect() as conn:
        assert conn.execute(select(calls.c.released_at).where(calls.c.national_id == other)).scalar_one() is None
    for step in (lambda: service.freeze_campaign(officer, CAMPAIGN), lambda: service.draw_campaign(officer, CAMPAIGN, beacon_value="x"),
                 lambda: service.export_campaign(officer, CAMPAIGN, pathlib.Path("out"))):
        with pytest.raises(Forbidden):  # campaign steps are national
            step()
    assert _head(world.engine) == before

    done = _read(officer, replacements.replace, CAMPAIGN, mine, "unfit")
    assert done.region == "R01" and not done.already_done
    with world.engine.connect() as conn:
        assert conn.execute(select(calls.c.release_reason).where(calls.c.national_id == mine)).scalar_one() is not None
    released = audit.entries(world.engine, action="campaign.release")
    assert [(e.actor, e.target) for e in released] == [("officer-r01", audit.person(mine))]


def test_a_citizen_sees_only_themselves(world):
    me, someone = world.inside[0], world.outside[0]
    citizen = make_context(world.admin.database_url, name="citizen", role="citizen", person_id=me)
    before = _head(world.engine)
    for who in (someone, world.inside[1]):  # another region, and the citizen's own region
        with pytest.raises(NotFound):
            _read(citizen, get_person, who)
        with pytest.raises(NotFound):
            _read(citizen, service.person_in_campaign, CAMPAIGN, who)
    assert _head(world.engine) == before
    version = world.admin.policy().in_force(WINDOW[0])
    for refused in (lambda: _read(citizen, register_stats), lambda: _read(citizen, replacements.replace, CAMPAIGN, me, "unfit"),
                    lambda: eligibility(citizen, version, WINDOW[0]), lambda: eligible_pool(citizen, version, WINDOW[0]),
                    lambda: exclusions(citizen, version, WINDOW[0])):
        with pytest.raises(Forbidden):
            refused()
    assert _head(world.engine) == before
    assert _read(citizen, get_person, me)["national_id"] == me
    assert _read(citizen, service.person_in_campaign, CAMPAIGN, me).national_id == me
