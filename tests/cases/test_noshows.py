"""No-shows on both backends: a case per recorded no-show (idempotent), resolved only by an officer: rescheduled,
excused with a reason, or referred to the authority the policy names; nothing automatic."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select

from callup.cases import noshows
from callup.cases.errors import CaseInputError, CaseStateError
from callup.cases.machines import NO_SHOW, ROLES
from callup.cases.views import case_view, queue
from callup.context import FixedClock, Role
from callup.errors import Forbidden
from callup.examples import path as example
from callup.notices import service as notices
from callup.notices.tables import Summons
from callup.uow import UnitOfWork
from callup_test_support import at_appointment
from case_helpers import CAMPAIGN, as_role, drawn_campaign, on_day

summonses = Summons.__table__


def _no_shows(day, engine, n=3):  # noqa: ANN001, ANN202
    """`n` summonses delivered and recorded as no-shows on their appointment's day; with the context after them."""
    with UnitOfWork(day) as uow:
        notices.issue_summonses(uow, CAMPAIGN, offices_path=example("offices/republic-of-example.csv"))
    with engine.connect() as conn:
        rows = conn.execute(select(summonses.c.reference, summonses.c.national_id, summonses.c.region)
                            .order_by(summonses.c.id).limit(n)).all()
    for row in rows:  # each on its appointment's day, the clock moving on to the latest
        day = at_appointment(day, row.reference)
        with UnitOfWork(day) as uow:
            notices.record_appearance(uow, row.reference, "no_show")
    return rows, day


def test_each_no_show_gets_one_case_and_an_officer_resolves_it(ctx, engine, tmp_path):
    day = drawn_campaign(ctx, tmp_path)
    rows, day = _no_shows(day, engine)
    with UnitOfWork(as_role(day, "system")) as uow:
        first = noshows.open_no_shows(uow, CAMPAIGN)
        again = noshows.open_no_shows(uow, CAMPAIGN)
    assert len(first.opened) == 3 and (again.opened, again.already) == ([], 3)
    later = on_day(day, day.today() + __import__("datetime").timedelta(days=3))
    region = rows[0].region
    officer = as_role(later, "officer", name="officer-n", regions=region)
    with UnitOfWork(officer) as uow:
        waiting = [i for i in queue(uow, kind=noshows.CaseKind.no_show)]
        assert waiting and all(i.age_days == 3 and i.state == "open" for i in waiting)
        case_id = waiting[0].id
        with pytest.raises(CaseInputError, match="needs a reason"):
            noshows.resolve_no_show(uow, case_id, "excuse", reason="")
        referred = noshows.resolve_no_show(uow, case_id, "refer", reason="no reply to two letters")
    assert (referred.state, referred.ground, referred.decided_by) == ("referred", "District Conscription Commission", "officer-n")
    assert referred.history[-1].effect["authority"] == "District Conscription Commission"
    assert "summons " in referred.evidence and rows[0].national_id not in referred.evidence


def test_nothing_is_automatic_and_a_policy_without_an_authority_allows_no_referral(ctx, engine, tmp_path):
    assert not any(Role.system in ROLES[step] for step in ("reschedule", "excuse", "refer"))
    assert set(NO_SHOW.allowed("open")) == {"reschedule", "excuse", "refer"}
    day = drawn_campaign(ctx, tmp_path)
    _, day = _no_shows(day, engine, n=2)
    with UnitOfWork(day) as uow:
        opened = noshows.open_no_shows(uow, CAMPAIGN).opened
    with UnitOfWork(as_role(day, "system")) as uow:
        with pytest.raises(Forbidden):
            noshows.resolve_no_show(uow, opened[0], "refer", reason="automatic")
    policy = tmp_path / "no-authority.toml"
    text = open(day.policy_path).read()
    policy.write_text(text.replace('[versions.no_shows]\nreferral_authority = "District Conscription Commission"', ""))
    without = dataclasses.replace(day, policy_path=str(policy))
    with UnitOfWork(without) as uow:
        with pytest.raises(CaseStateError, match="names no authority"):
            noshows.resolve_no_show(uow, opened[0], "refer", reason="unexcused")
        assert noshows.resolve_no_show(uow, opened[0], "excuse", reason="hospital stay, certificate shown").state == "excused"
        assert noshows.resolve_no_show(uow, opened[1], "reschedule", reason="new appointment by letter").state == "rescheduled"


def test_opening_for_one_summons_leaves_the_other_no_shows_for_later(ctx, engine, tmp_path):
    day = drawn_campaign(ctx, tmp_path)
    rows, day = _no_shows(day, engine, n=3)
    with UnitOfWork(day) as uow:
        one = noshows.open_no_shows(uow, CAMPAIGN, references=[rows[1].reference])
        rest = noshows.open_no_shows(uow, CAMPAIGN)
    assert len(one.opened) == 1 and one.already == 0
    assert len(rest.opened) == 2 and rest.already == 1
    with UnitOfWork(day, write=False) as uow:
        assert case_view(uow, one.opened[0]).national_id == rows[1].national_id


def test_a_list_of_no_shows_opens_each_its_own_case_naming_its_summons(ctx, engine, tmp_path):
    """Opened together (one INSERT for the list): each case is the person's, names their summons and the time of the
    no-show, and is told apart by person."""
    day = drawn_campaign(ctx, tmp_path)
    rows, day = _no_shows(day, engine, n=3)
    listed = [rows[2].reference, rows[0].reference]
    with UnitOfWork(day) as uow:
        opened = noshows.open_no_shows(uow, CAMPAIGN, references=listed)
    assert opened.opened_for.keys() == {rows[0].national_id, rows[2].national_id} and opened.already == 0
    with UnitOfWork(day, write=False) as uow:
        for row in (rows[0], rows[2]):
            case = case_view(uow, opened.opened_for[row.national_id], reason="test")
            assert case.national_id == row.national_id and case.evidence.startswith(f"summons {row.reference}: no-show recorded")
            assert case.history[0].evidence == case.evidence


def test_a_resolved_no_show_leaves_the_follow_up_list(ctx, engine, tmp_path):
    day = drawn_campaign(ctx, tmp_path)
    rows, day = _no_shows(day, engine, n=2)
    with UnitOfWork(day) as uow:
        opened = noshows.open_no_shows(uow, CAMPAIGN).opened

    def listed() -> set[str]:
        with UnitOfWork(day, write=False) as uow:
            return {f.reference for f in notices.follow_up(uow, CAMPAIGN) if "did not appear" in f.reason}

    assert listed() == {rows[0].reference, rows[1].reference}  # open cases: an officer still decides
    with UnitOfWork(day) as uow:
        resolved = noshows.resolve_no_show(uow, opened[0], "excuse", reason="hospital stay, certificate shown")
    still = rows[1].reference if resolved.national_id == rows[0].national_id else rows[0].reference
    assert listed() == {still}
    with UnitOfWork(day, write=False) as uow:
        assert notices.follow_up_counts(uow, CAMPAIGN)["no_show"] == 1
    excused = rows[0].reference if still == rows[1].reference else rows[1].reference
    later = dataclasses.replace(day, clock=FixedClock(day.now() + dt.timedelta(hours=1)))
    with UnitOfWork(later) as uow:  # recorded again: a new no-show, which the earlier case does not resolve
        notices.record_appearance(uow, excused, "no_show")
    assert listed() == {still, excused}


def test_an_officer_s_list_of_resolutions_goes_all_or_none_and_leaves_the_follow_up_list(ctx, engine, tmp_path):
    day = drawn_campaign(ctx, tmp_path)
    rows, day = _no_shows(day, engine, n=4)
    with UnitOfWork(day) as uow:
        opened = noshows.open_no_shows(uow, CAMPAIGN).opened
    chosen = ["excuse", "refer", "reschedule", "excuse"]
    officer = as_role(day, "officer", name="officer-n")
    with UnitOfWork(officer) as uow, pytest.raises(CaseInputError, match="resolved once"):
        noshows.resolve_no_shows(uow, [noshows.Resolution(opened[0], "excuse", "ill")] * 2)
    with UnitOfWork(officer) as uow:
        noshows.resolve_no_show(uow, opened[3], "excuse", reason="a medical certificate")
    with UnitOfWork(officer) as uow, pytest.raises(CaseStateError):  # the fourth is resolved already: none of the list is
        noshows.resolve_no_shows(uow, [noshows.Resolution(i, r, "on the list") for i, r in zip(opened, chosen, strict=True)])
    with UnitOfWork(officer) as uow:
        assert [c.state for c in noshows.resolve_no_shows(uow, [noshows.Resolution(i, "excuse", "x") for i in opened[:1]])] \
            == ["excused"]
        resolved = noshows.resolve_no_shows(uow, [noshows.Resolution(i, r, f"{r}: on the list")
                                                  for i, r in zip(opened[1:3], chosen[1:3], strict=True)])
    assert [(c.state, c.decision_reason, c.decided_by) for c in resolved] == [
        ("referred", "refer: on the list", "officer-n"), ("rescheduled", "reschedule: on the list", "officer-n")]
    assert resolved[0].ground == "District Conscription Commission" and resolved[1].ground == "no_show"
    with UnitOfWork(officer) as uow:
        assert notices.follow_up(uow, CAMPAIGN, days=9999) == []  # every no-show resolved: none left to follow up
    with engine.connect() as conn:
        assert all(conn.execute(select(summonses.c.no_show_resolved_at).where(summonses.c.appearance == "no_show")).scalars())
