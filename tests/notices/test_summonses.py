"""Summonses in the store, on both backends: issue, print, publish, delivery evidence, appearance, release."""

from __future__ import annotations

import dataclasses
import datetime as dt
import pathlib
import re
import sys

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import func, select

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "campaigns"))

from callup import audit  # noqa: E402
from callup.errors import InputError  # noqa: E402
from callup.examples import path as example  # noqa: E402
from callup.notices import service  # noqa: E402
from callup.notices.errors import NoticeNotFound, NoticeStateError  # noqa: E402
from callup.notices.printing import print_letters  # noqa: E402
from callup.notices.tables import NOTICE, NoticeStatus, Summons  # noqa: E402
from callup.statemachine import TransitionRefused  # noqa: E402
from callup.uow import UnitOfWork  # noqa: E402
from callup_test_support import NORTHLAND_POLICY, at_appointment, make_context, run_cli  # noqa: E402
from campaign_helpers import drawn, load_register, on_day, replace  # noqa: E402

summonses = Summons.__table__
ISSUE_DAY = dt.date(2027, 2, 1)


def _issued(ctx, tmp_path, *, people=6000, quota=120):  # noqa: ANN001, ANN202
    load_register(ctx, tmp_path, people=people)
    drawn(ctx, quota=quota, over_call="0")
    day = on_day(ctx, ISSUE_DAY)
    with UnitOfWork(day) as uow:
        result = service.issue_summonses(uow, "spring-2027", offices_path=example("offices/republic-of-example.csv"))
    return day, result


def _rows(engine):  # noqa: ANN001, ANN202
    with engine.connect() as conn:
        return conn.execute(select(*[c for c in summonses.c if c.name != "code"]).order_by(summonses.c.id)).mappings().all()


def test_every_called_person_gets_exactly_one_live_summons_inside_the_window_and_capacity(ctx, engine, tmp_path):
    day, result = _issued(ctx, tmp_path)
    rows = _rows(engine)
    with engine.connect() as conn:
        called = conn.execute(select(func.count()).select_from(__import__("callup.campaigns.tables", fromlist=["Call"]).Call.__table__)).scalar_one()
    assert result.issued == called == len(rows) and not result.unplaced
    assert len({r["reference"] for r in rows}) == len(rows)
    assert all(dt.date(2027, 4, 1) <= r["date"] <= dt.date(2027, 7, 15) for r in rows)
    from collections import Counter

    from callup.notices.offices import load_offices

    capacity = {(o.code, s.start): s.capacity for o in load_offices(example("offices/republic-of-example.csv")) for s in o.slots}
    for (office, _date, start), n in Counter((r["office"], r["date"], r["start"]) for r in rows).items():
        assert n <= capacity[(office, start)]
    with UnitOfWork(day) as uow:  # issuing again gives nobody a second one
        again = service.issue_summonses(uow, "spring-2027")
    assert again.issued == 0 and again.already_live == len(rows)
    assert "SELECT" not in repr(result)  # a typed result, not rows


def test_the_campaign_replace_command_cancels_the_released_person_s_summons(ctx, engine, tmp_path):
    _issued(ctx, tmp_path)
    first = _rows(engine)[0]
    env = {"CALLUP_DATABASE_URL": ctx.database_url, "CALLUP_POLICY": ctx.policy_path, "CALLUP_NOW": "2027-02-02T09:00:00Z"}
    code, stdout, stderr, uncaught = run_cli(["campaign", "replace", "spring-2027", first["national_id"], "--reason", "unfit"],
                                             env=env)
    assert (code, uncaught) == (0, None), stderr
    assert "released (unfit)" in stdout
    row = {r["national_id"]: r for r in _rows(engine)}[first["national_id"]]
    assert (row["status"], row["closed_reason"]) == (NoticeStatus.cancelled, "released: unfit")


def test_a_released_person_s_summons_is_cancelled_with_the_reason_and_the_replacement_gets_a_new_one(ctx, engine, tmp_path):
    day, _ = _issued(ctx, tmp_path)
    first = _rows(engine)[0]
    replaced = replace(day, "spring-2027", first["national_id"], "deferred")
    rows = {r["national_id"]: r for r in _rows(engine)}
    assert rows[first["national_id"]]["status"] == NoticeStatus.cancelled
    assert rows[first["national_id"]]["closed_reason"] == "released: deferred"
    assert replaced.replacement not in rows
    with UnitOfWork(day) as uow:
        service.issue_summonses(uow, "spring-2027")
    live = [r for r in _rows(engine) if r["status"] != NoticeStatus.cancelled]
    assert replaced.replacement in {r["national_id"] for r in live}
    assert len(live) == len({r["national_id"] for r in live})


def test_printing_puts_every_letter_in_exactly_one_batch_and_manifests_match_the_pdfs(ctx, engine, tmp_path):
    day, result = _issued(ctx, tmp_path)
    printed = print_letters(day, "spring-2027", out=tmp_path / "letters", workers=2)
    assert printed.letters == result.issued
    rows = _rows(engine)
    assert all(r["batch_id"] is not None and r["printed_at"] is not None and r["status"] == NoticeStatus.sent for r in rows)
    pages = 0
    for pdf in printed.files:
        manifest = pathlib.Path(pdf).with_suffix(".csv").read_text().splitlines()[1:]
        count = len(re.findall(rb"/Type\s*/Page(?![s\w])", pathlib.Path(pdf).read_bytes()))
        assert len(manifest) == count
        pages += len(manifest)
    assert pages == result.issued
    again = print_letters(day, "spring-2027", out=tmp_path / "letters")
    assert again.batches_printed == 0  # nothing printed twice


def test_delivery_is_recorded_only_from_evidence_and_receipts_are_idempotent(ctx, engine, tmp_path):
    day, _ = _issued(ctx, tmp_path)
    with UnitOfWork(day) as uow:
        service.publish_notices(uow, "spring-2027")
    rows = _rows(engine)
    receipts = tmp_path / "receipts.csv"
    receipts.write_text("reference,delivered_on\n" f"{rows[0]['reference']},2027-02-05\n" "NOT-A-REFERENCE,2027-02-05\n"
                        f"{rows[1]['reference']},yesterday\n", encoding="utf-8")
    with UnitOfWork(day) as uow:
        result = service.import_postal_file(uow, receipts, kind="receipts")
    assert (result.applied, result.rejected) == (1, 2)
    rejects = pathlib.Path(result.rejects_file).read_text()
    assert "3," in rejects and "4," in rejects and rows[1]["national_id"] not in rejects
    with UnitOfWork(day) as uow:
        assert service.import_postal_file(uow, receipts, kind="receipts").already_imported
    delivered = [r for r in _rows(engine) if r["status"] == NoticeStatus.delivered]
    assert [(r["delivery_source"], r["delivery_evidence"]) for r in delivered] == [("receipt", "receipts.csv line 2")]


def test_a_receipts_file_delivers_each_summons_once_naming_its_line_and_rejects_what_the_officer_may_not_see(ctx, engine,
                                                                                                             tmp_path):
    day, _ = _issued(ctx, tmp_path)
    with UnitOfWork(day) as uow:
        service.publish_notices(uow, "spring-2027")
    rows = _rows(engine)
    region = rows[0]["region"]
    receipts = tmp_path / "receipts.csv"
    receipts.write_text("reference,delivered_on\n" + "".join(f"{r['reference']},2027-02-05\n" for r in rows)
                        + f"{rows[0]['reference']},2027-02-06\n", encoding="utf-8")  # the first again, a day later
    regional = make_context(day.database_url, role="officer", name="regional", regions=region)
    with UnitOfWork(regional) as uow:
        result = service.import_postal_file(uow, receipts, kind="receipts")
    theirs = [i for i, r in enumerate(rows) if r["region"] == region]
    assert (result.applied, result.already, result.rejected) == (len(theirs), 1, len(rows) - len(theirs))
    rejects = pathlib.Path(result.rejects_file).read_text()
    assert rejects.count("no summons with that reference") == len(rows) - len(theirs)
    delivered = {r["reference"]: r for r in _rows(engine) if r["status"] == NoticeStatus.delivered}
    assert sorted(delivered) == sorted(rows[i]["reference"] for i in theirs)
    assert all(delivered[rows[i]["reference"]]["delivery_evidence"] == f"receipts.csv line {i + 2}" for i in theirs)
    assert all(str(r["delivered_at"]).startswith("2027-02-05") for r in delivered.values())  # the first line's day
    with UnitOfWork(regional) as uow, pytest.raises(InputError, match="receipts or returns, not 'receipt'"):
        service.record_postal(uow, "receipt", [service.PostalEvent(rows[0]["reference"], ISSUE_DAY, "typo")])


def test_deemed_delivery_applies_only_where_the_policy_sets_it(ctx, engine, tmp_path):
    day, _ = _issued(ctx, tmp_path)
    with UnitOfWork(day) as uow:
        service.publish_notices(uow, "spring-2027")
    later = on_day(day, ISSUE_DAY + dt.timedelta(days=30))
    northland = dataclasses.replace(later, policy_path=str(NORTHLAND_POLICY))
    with UnitOfWork(northland) as uow:  # a policy without the rule: nothing is presumed
        assert service.apply_deemed_delivery(uow, "spring-2027", on=later.today()) == 0
    with UnitOfWork(later) as uow:
        assert service.apply_deemed_delivery(uow, "spring-2027", on=ISSUE_DAY + dt.timedelta(days=3)) == 0  # too early
        n = service.apply_deemed_delivery(uow, "spring-2027", on=later.today())
    rows = _rows(engine)
    assert n == len(rows)
    assert all(r["delivery_source"] == "deemed" and "portal, 7 days" in r["delivery_evidence"] for r in rows)


def test_a_returned_letter_goes_to_follow_up_and_can_still_be_acknowledged_in_the_portal(ctx, engine, tmp_path):
    day, _ = _issued(ctx, tmp_path)
    print_letters(day, "spring-2027", out=tmp_path / "letters")
    row = _rows(engine)[0]
    returns = tmp_path / "returns.csv"
    returns.write_text(f"reference,returned_on,reason\n{row['reference']},2027-02-10,moved away\n")
    with UnitOfWork(day) as uow:
        service.import_postal_file(uow, returns, kind="returns")
        items = service.follow_up(uow, "spring-2027", days=9999)
    assert [(f.reference, f.reason) for f in items] == [(row["reference"], "returned: moved away: check the address")]
    citizen = make_context(day.database_url, role="citizen", name="citizen", person_id=row["national_id"])
    with UnitOfWork(on_day(citizen, ISSUE_DAY)) as uow:
        seen = service.acknowledge(uow, row["reference"], evidence="portal session s1")
    assert (seen.status, seen.delivery_source) == ("acknowledged", "acknowledgement")


def test_a_citizen_or_an_officer_of_another_region_cannot_see_someone_else_s_summons(ctx, engine, tmp_path):
    day, _ = _issued(ctx, tmp_path)
    rows = _rows(engine)
    mine, other = rows[0], next(r for r in rows if r["region"] != rows[0]["region"])
    citizen = make_context(day.database_url, role="citizen", name="c", person_id=mine["national_id"])
    officer = make_context(day.database_url, role="officer", name="o", regions=other["region"])
    # both summonses delivered and their appointments past, so only the region can refuse the officer
    at_mine, at_other = at_appointment(day, mine["reference"]), at_appointment(day, other["reference"])
    officer = dataclasses.replace(officer, clock=max(at_mine, at_other, key=lambda c: c.now()).clock)
    changes_before = len(audit.entries(engine, action="notices.change"))
    with UnitOfWork(citizen) as uow:
        assert service.view(uow, mine["reference"]).reference == mine["reference"]
        with pytest.raises(NoticeNotFound):
            service.view(uow, other["reference"])
    with UnitOfWork(officer) as uow:
        with pytest.raises(NoticeNotFound):
            service.record_appearance(uow, mine["reference"], "no_show")
        assert service.record_appearance(uow, other["reference"], "no_show").appearance == "no_show"
    actors = [(e.actor, e.role) for e in audit.entries(engine, action="notices.change")][changes_before:]
    assert actors == [("o", "officer")]


def test_only_a_summons_the_actor_may_see_is_acknowledged_once_and_a_closed_one_not_at_all(ctx, engine, tmp_path):
    """The acknowledgement's one statement asks the actor's sight and the summons' state: someone else's summons, or
    one of another region, is not found and stays as it was; a second acknowledgement changes nothing."""
    day, _ = _issued(ctx, tmp_path)
    print_letters(day, "spring-2027", out=tmp_path / "letters")  # sent: each may be acknowledged
    rows = _rows(engine)
    mine, other = rows[0], next(r for r in rows if r["region"] != rows[0]["region"])
    citizen = make_context(day.database_url, role="citizen", name="c", person_id=mine["national_id"])
    officer = make_context(day.database_url, role="officer", name="o", regions=other["region"])
    with UnitOfWork(citizen) as uow, pytest.raises(NoticeNotFound):
        service.acknowledge(uow, other["reference"], evidence="portal session s1")
    with UnitOfWork(officer) as uow, pytest.raises(NoticeNotFound):
        service.acknowledge(uow, mine["reference"], evidence="counter")
    assert {r["status"] for r in _rows(engine)} == {NoticeStatus.sent}  # nothing acknowledged by those refused
    with UnitOfWork(citizen) as uow:
        first = service.acknowledge(uow, mine["reference"], evidence="portal session s1")
    with UnitOfWork(on_day(citizen, ISSUE_DAY + dt.timedelta(days=2))) as uow:
        again = service.acknowledge(uow, mine["reference"], evidence="portal session s2")
    assert (first.status, first.delivery_source, first.delivery_evidence) == ("acknowledged", "acknowledgement",
                                                                              "portal session s1")
    assert again == first  # the first acknowledgement stands, its time and evidence with it
    assert len([e for e in audit.entries(engine, action="notices.change") if e.details.get("step") == "acknowledge"]) == 1
    with UnitOfWork(day) as uow:
        service.cancel_for_releases(uow, "spring-2027", [(other["national_id"], "released: test")])
    with UnitOfWork(officer) as uow, pytest.raises(NoticeStateError, match="cancelled"):
        service.acknowledge(uow, other["reference"], evidence="counter")


def test_the_one_time_code_signs_in_only_with_its_own_reference(ctx, engine, tmp_path):
    day, _ = _issued(ctx, tmp_path)
    rows = _rows(engine)
    with UnitOfWork(day) as uow:
        code = uow.execute(select(summonses.c.code).where(summonses.c.id == rows[0]["id"])).scalar_one()
        assert service.check_sign_in(uow, rows[0]["reference"], code) == rows[0]["national_id"]
        assert service.check_sign_in(uow, rows[1]["reference"], code) is None
        assert service.check_sign_in(uow, "garbage", code) is None
    with engine.connect() as conn:  # the code is not readable in the store without the keys
        stored = conn.exec_driver_sql("SELECT code FROM summonses").scalars().first()
    assert code not in stored


def test_moves_respect_the_policy_limit_and_free_capacity(ctx, engine, tmp_path):
    day, _ = _issued(ctx, tmp_path)
    row = _rows(engine)[0]
    with UnitOfWork(day) as uow:
        with pytest.raises(Exception, match="more than 14 days|outside the campaign window|closed|no slot"):
            service.move(uow, row["reference"], office=row["office"], date=row["date"] + dt.timedelta(days=40), start=row["start"])
        slots = [s for s in __import__("callup.notices.offices", fromlist=["load_offices"]).load_offices(
            example("offices/republic-of-example.csv")) if s.code == row["office"]][0]
        target_day = row["date"] + dt.timedelta(days=1)
        while not slots.is_open(target_day):
            target_day += dt.timedelta(days=1)
        moved = service.move(uow, row["reference"], office=row["office"], date=target_day, start=slots.slots[-1].start)
    assert moved.date == target_day


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["send", "deliver", "acknowledge", "return", "cancel", "supersede"]), max_size=8))
def test_the_summons_table_allows_exactly_its_declared_steps(steps):
    state = NoticeStatus.created.value
    for step in steps:
        if NOTICE.can(state, step):
            state = NOTICE.step(state, step, subject="summons X")
        else:
            with pytest.raises(NoticeStateError, match=f"summons X is {state}: cannot {step}"):
                NOTICE.step(state, step, subject="summons X")
    assert state in NOTICE.states
    assert not NOTICE.allowed("cancelled") and not NOTICE.allowed("superseded")
    assert issubclass(NoticeStateError, TransitionRefused.__mro__[1])
