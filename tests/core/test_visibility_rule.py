"""The one visibility rule: "may this actor see this person's record" lives on the Context.

Every service that shows or changes one record asks `Context.check_visible` (or `may_see`); a
second hand-written copy of the rule (a bare `sees_region` call, a comparison with the actor's
`person_id`) anywhere else in the package is a defect this test finds.
"""

from __future__ import annotations

import ast
import pathlib

import pytest
from hypothesis import given, strategies as st

import callup
from callup.context import Actor, make_actor
from callup.errors import NotFound
from callup_test_support import make_context

PACKAGE = pathlib.Path(callup.__file__).parent
HOME = PACKAGE / "context.py"
REGIONS = st.sampled_from(["R01", "R02", "R03"])
IDS = st.sampled_from(["100", "200", "300"])


def _ctx(actor: Actor):
    return make_context("sqlite://").with_actor(actor)


@given(region=REGIONS, national_id=IDS, mine=IDS)
def test_a_citizen_sees_only_their_own_records_in_any_region(region, national_id, mine):
    ctx = _ctx(make_actor("citizen", "citizen", person_id=mine))
    assert ctx.may_see(region, national_id) is (national_id == mine)


@given(region=REGIONS, national_id=IDS, scope=st.sets(REGIONS, min_size=1))
def test_a_regional_actor_sees_only_their_regions(region, national_id, scope):
    for role in ("officer", "medical"):
        ctx = _ctx(make_actor("officer", role, regions=scope))
        assert ctx.may_see(region, national_id) is (region in scope)


@given(region=REGIONS, national_id=IDS)
def test_a_national_actor_sees_every_region(region, national_id):
    for role in ("administrator", "auditor", "system"):
        assert _ctx(make_actor("national", role)).may_see(region, national_id)


def test_a_missing_record_is_seen_by_no_one():
    for actor in (make_actor("a", "administrator"), make_actor("c", "citizen", person_id="100")):
        assert not _ctx(actor).may_see(None, "100")


def test_an_invisible_record_raises_the_callers_not_found():
    class SummonsNotFound(NotFound):
        pass

    ctx = _ctx(make_actor("officer", "officer", regions="R01"))
    ctx.check_visible("R01", "100", error=SummonsNotFound("no summons"))
    with pytest.raises(SummonsNotFound, match="no summons"):
        ctx.check_visible("R02", "100", error=SummonsNotFound("no summons"))


def test_a_citizen_lists_only_their_own_records():
    assert _ctx(make_actor("c", "citizen", person_id="100")).may_list(" 100 ")
    assert not _ctx(make_actor("c", "citizen", person_id="100")).may_list("200")
    assert _ctx(make_actor("o", "officer", regions="R01")).may_list("200")


def bare_checks(source: str) -> list[int]:
    """Lines of `source` that decide visibility by hand: a `sees_region(...)` call, or a comparison
    involving an actor's `person_id`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "sees_region":
            found.append(node.lineno)
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            column = any(isinstance(side, ast.Attribute) and isinstance(side.value, ast.Attribute) and side.value.attr == "c"
                         for side in sides)  # `table.c.national_id == actor.person_id` selects the citizen's own rows
            if not column and any(isinstance(side, ast.Attribute) and side.attr == "person_id" for side in sides):
                found.append(node.lineno)
    return found


@pytest.mark.parametrize("source", [
    "if not actor.sees_region(row['region']): raise NotFound('x')",
    "if uow.actor.role is Role.citizen and uow.actor.person_id != national_id: return []",
    "visible = national_id == ctx.actor.person_id",
])
def test_the_scan_finds_a_bare_check(source):
    assert bare_checks(source) == [1]


@pytest.mark.parametrize("source", [
    "views = notices.summonses_of(uow, ctx.actor.person_id)",
    "query = select(t).where(t.c.national_id == uow.actor.person_id)",
])
def test_the_scan_lets_a_use_of_the_citizens_own_id_pass(source):
    assert bare_checks(source) == []


def test_no_module_but_the_context_decides_visibility_by_hand():
    modules = sorted(p for p in PACKAGE.rglob("*.py") if p != HOME)
    assert len(modules) > 50
    offenders = [f"{p.relative_to(PACKAGE)}:{line}" for p in modules for line in bare_checks(p.read_text(encoding="utf-8"))]
    assert offenders == [], f"use Context.check_visible / may_see instead of a bare check at {offenders}"
    assert bare_checks(HOME.read_text(encoding="utf-8")), "the rule itself is expected in context.py"



@given(scope=st.sets(REGIONS, min_size=1), mine=IDS, role=st.sampled_from(["citizen", "officer", "administrator"]))
def test_the_rule_as_a_sql_condition_selects_exactly_the_records_the_actor_may_see(scope, mine, role):
    import sqlalchemy as sa

    records = sa.Table("records", sa.MetaData(), sa.Column("region", sa.String), sa.Column("national_id", sa.String))
    every = [(region, national_id) for region in ("R01", "R02", "R03") for national_id in ("100", "200", "300")]
    actor = make_actor("someone", role, regions=",".join(sorted(scope)) if role == "officer" else None,
                       person_id=mine if role == "citizen" else None)
    ctx = _ctx(actor)
    engine = sa.create_engine("sqlite://")
    with engine.begin() as conn:
        records.create(conn)
        conn.execute(records.insert(), [{"region": r, "national_id": n} for r, n in every])
        condition = ctx.visible_filter(records.c.region, records.c.national_id)
        query = sa.select(records.c.region, records.c.national_id)
        seen = set(conn.execute(query if condition is None else query.where(condition)).tuples())
    assert seen == {(r, n) for r, n in every if ctx.may_see(r, n)}
