"""What no longer changes once a person is inducted or the campaign is closed: the appointment does not
move, no new application is taken; cases already open are still decided."""

from __future__ import annotations

import datetime as dt

import pytest

from callup.campaigns.service import close_campaign
from callup.cases import deferrals, medical
from callup.cases.applications import may_apply
from callup.cases.decisions import decide_application
from callup.cases.errors import CaseStateError
from callup.errors import Forbidden
from callup.examples import path as example
from callup.military_service import induction
from callup.military_service.standing import citizen_standing
from callup.military_service.units import import_units
from callup.notices import service as notices
from callup.notices.errors import NoticeStateError
from callup.uow import UnitOfWork
from callup_test_support import at_appointment
from case_helpers import CAMPAIGN, as_role, called, drawn_campaign

START = dt.date(2027, 5, 1)


def _summoned(ctx, tmp_path):  # noqa: ANN001, ANN202
    day = drawn_campaign(ctx, tmp_path)
    with UnitOfWork(day) as uow:
        import_units(uow, example("units/republic-of-example.csv"))
        notices.issue_summonses(uow, CAMPAIGN, offices_path=example("offices/republic-of-example.csv"))
    return day


def _reference(day, national_id):  # noqa: ANN001, ANN202
    with UnitOfWork(day, write=False) as uow:
        return next(v.reference for v in notices.summonses_of(uow, national_id) if v.status not in ("cancelled", "superseded"))


def _a_free_slot(day, reference):  # noqa: ANN001, ANN202
    with UnitOfWork(day, write=False) as uow:
        return notices.move_options(uow, reference)


def _induct(day, national_id, region):  # noqa: ANN001, ANN202
    """Examined fit by the region's board and inducted into 3-SIG, as the services would do it."""
    with UnitOfWork(as_role(day, "officer", regions=region)) as uow:
        case = medical.open_examination(uow, CAMPAIGN, national_id)
    with UnitOfWork(as_role(day, "medical", regions=region)) as uow:
        medical.decide_fitness(uow, case.id, "A")
    with UnitOfWork(as_role(day, "officer", regions=region)) as uow:
        induction.induct(uow, CAMPAIGN, national_id, unit="3-SIG", start=START)


def test_an_inducted_person_s_appointment_no_longer_moves_and_they_may_not_apply(ctx, engine, tmp_path):
    day = _summoned(ctx, tmp_path)
    national_id, region = called(day)[0]
    reference = _reference(day, national_id)
    assert _a_free_slot(day, reference), "before induction the appointment can move"
    _induct(day, national_id, region)
    citizen = as_role(day, "citizen", person_id=national_id)
    with UnitOfWork(citizen) as uow:
        assert notices.move_options(uow, reference) == [] and not notices.can_move(uow, reference)
        with pytest.raises(NoticeStateError, match="inducted"):
            notices.move(uow, reference, office="R01-A", date=START, start=dt.time(9))
        with pytest.raises(CaseStateError, match="inducted"):
            deferrals.apply_for_deferral(uow, CAMPAIGN, national_id, "study", evidence="UNI-1")
        assert not may_apply(uow, CAMPAIGN, national_id)
        assert [(r.campaign, r.state, r.unit) for r in induction.records_of(uow, national_id)] == [(CAMPAIGN, "serving", "3-SIG")]
    other, other_region = called(day)[1]
    _induct(day, other, other_region)
    with UnitOfWork(as_role(day, "officer", regions=other_region)) as uow:
        assert len(induction.records_of(uow, other)) == 1
    with UnitOfWork(citizen) as uow:
        assert induction.records_of(uow, other) == []  # another person's service record: a citizen sees only their own


def test_the_citizens_standing_is_summoned_then_in_service_with_their_own_records_only(ctx, engine, tmp_path):
    day = _summoned(ctx, tmp_path)
    (national_id, region), (other, other_region) = called(day)[:2]
    citizen = as_role(day, "citizen", person_id=national_id)
    with UnitOfWork(citizen) as uow:
        before = citizen_standing(uow)
    assert before.status == "summoned" and before.latest.reference == _reference(day, national_id)
    assert before.service == [] and before.latest.office in before.places
    _induct(day, national_id, region)
    _induct(day, other, other_region)
    with UnitOfWork(citizen) as uow:
        after = citizen_standing(uow)
    assert after.status == "in service" and [(r.national_id, r.unit) for r in after.service] == [(national_id, "3-SIG")]
    assert [v.reference for v in after.summonses] == [before.latest.reference]  # their own summons only
    with UnitOfWork(as_role(day, "officer", regions=region)) as uow, pytest.raises(Forbidden, match="needs the role citizen"):
        citizen_standing(uow)


def test_a_kept_appointment_no_longer_moves(ctx, engine, tmp_path):
    day = _summoned(ctx, tmp_path)
    national_id, region = called(day)[0]
    reference = _reference(day, national_id)
    with UnitOfWork(as_role(at_appointment(day, reference), "officer", regions=region)) as uow:
        notices.record_appearance(uow, reference, "appeared")
    with UnitOfWork(as_role(day, "citizen", person_id=national_id)) as uow:
        assert not notices.can_move(uow, reference)
        with pytest.raises(NoticeStateError, match="kept"):
            notices.move(uow, reference, office="R01-A", date=START, start=dt.time(9))


def test_a_closed_campaign_takes_no_new_application_and_no_move_but_open_cases_are_still_decided(ctx, engine, tmp_path):
    day = _summoned(ctx, tmp_path)
    (first, region), (second, _) = called(day)[0], called(day)[1]
    with UnitOfWork(as_role(day, "citizen", person_id=first)) as uow:
        pending = deferrals.apply_for_deferral(uow, CAMPAIGN, first, "family_care", evidence="CERT-1")
    pending = getattr(pending, "case", pending)
    with UnitOfWork(day) as uow:
        close_campaign(uow, CAMPAIGN)
    reference = _reference(day, second)
    with UnitOfWork(as_role(day, "citizen", person_id=second)) as uow:
        assert not may_apply(uow, CAMPAIGN, second) and not notices.can_move(uow, reference)
        with pytest.raises(CaseStateError, match="closed"):
            deferrals.apply_for_deferral(uow, CAMPAIGN, second, "study", evidence="UNI-2")
        with pytest.raises(NoticeStateError, match="closed"):
            notices.move(uow, reference, office="R01-A", date=START, start=dt.time(9))
    with UnitOfWork(as_role(day, "officer", regions=region)) as uow:
        decided = decide_application(uow, pending.id, "refuse", reason="no certificate of care").case
    assert decided.state == "refused"


def test_a_no_show_opened_before_the_close_is_still_rescheduled_to_a_new_slot_after_it(ctx, engine, tmp_path):
    from callup.cases import noshows

    day = _summoned(ctx, tmp_path)
    national_id, region = called(day)[0]
    reference = _reference(day, national_id)
    with UnitOfWork(as_role(at_appointment(day, reference), "officer", regions=region)) as uow:
        notices.record_appearance(uow, reference, "no_show")
        case_id = noshows.open_no_shows(uow, CAMPAIGN, references=[reference]).opened[0]
    slot = _a_free_slot(day, reference)[0][0]
    with UnitOfWork(day) as uow:
        close_campaign(uow, CAMPAIGN)
    with UnitOfWork(as_role(day, "officer", regions=region)) as uow:
        done = noshows.resolve_no_show(uow, case_id, "reschedule", reason="new appointment by letter", office=slot.office,
                                       date=slot.date, start=slot.start)
        moved = notices.view(uow, reference)
    assert done.state == "rescheduled" and (moved.office, moved.date, moved.start) == (slot.office, slot.date, slot.start)
