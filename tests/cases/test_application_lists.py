"""An officer's list of decisions on applications, on both backends: the same as deciding each alone (the calls the
grants end filled from the reserve in the list's order), all or none."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from callup.campaigns.tables import Call
from callup.cases import civilian, deferrals, exemptions, medical
from callup.cases.decisions import ApplicationDecision, decide_application, decide_applications
from callup.cases.errors import CaseInputError, CaseStateError
from callup.errors import Forbidden
from callup.uow import UnitOfWork
from case_helpers import (
    CAMPAIGN,
    as_role,
    called,
    case_steps,
    decisions_left,
    drawn_campaign,
    most_called_region,
    same_randomness,
)

calls = Call.__table__

#: An officer's list in its order: each kind granted and refused, a deferral granted to a date and one to the ground's
#: longest, so that the calls the grants end are filled from the reserve in the list's order whatever their kind.
LIST = [("deferral", "grant", dt.date(2027, 10, 1)), ("exemption", "refuse", None), ("civilian", "grant", None),
        ("deferral", "refuse", None), ("exemption", "grant", None), ("civilian", "refuse", None),
        ("deferral", "grant", None)]


def _apply(day, people):  # noqa: ANN001, ANN202
    """Each person applies for the kind of LIST at their place: the cases' ids, in order."""
    ids = []
    for national_id, (kind, _, _) in zip(people, LIST, strict=True):
        with UnitOfWork(as_role(day, "citizen", person_id=national_id)) as uow:
            if kind == "deferral":
                ids.append(deferrals.apply_for_deferral(uow, CAMPAIGN, national_id, "family_care", evidence="CARE-1").case.id)
            elif kind == "exemption":
                ids.append(exemptions.apply_for_exemption(uow, CAMPAIGN, national_id, "prior_service", evidence="SR-1").id)
            else:
                ids.append(civilian.apply_for_civilian_service(uow, CAMPAIGN, national_id, statement="I cannot bear arms.").id)
    return ids


def _release(engine, national_id):  # noqa: ANN001, ANN202
    with engine.connect() as conn:
        reason = conn.execute(select(calls.c.release_reason).where(calls.c.national_id == national_id)).scalar()
    return getattr(reason, "value", reason)


def test_an_officer_s_list_of_decisions_ends_as_deciding_each_alone(ctx, engine, twin, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    together = drawn_campaign(same_randomness(ctx), tmp_path / "a")
    alone = drawn_campaign(same_randomness(twin), tmp_path / "b")
    people = [n for n, _ in called(together, region=most_called_region(together))[:len(LIST)]]
    listed, one_by_one = _apply(together, people), _apply(alone, people)
    with UnitOfWork(as_role(together, "officer", name="officer-x")) as uow:
        decided = decide_applications(uow, [ApplicationDecision(case_id, decision, f"{kind}: {decision}", until)
                                            for case_id, (kind, decision, until) in zip(listed, LIST, strict=True)])
    for case_id, (kind, decision, until) in zip(one_by_one, LIST, strict=True):
        with UnitOfWork(as_role(alone, "officer", name="officer-x")) as uow:
            decide_application(uow, case_id, decision, reason=f"{kind}: {decision}", until=until)
    assert [d.case.state for d in decided] == [{"grant": "granted", "refuse": "refused"}[d] for _, d, _ in LIST]
    assert [bool(d.released and d.replacement) for d in decided] == [d == "grant" for _, d, _ in LIST]
    longest = dt.date(2030, 4, 10)  # the decision day and the family care ground's 36 months
    assert [d.case.until for d in decided] == [dt.date(2027, 10, 1), None, None, None, None, None, longest]
    assert decisions_left(engine) == decisions_left(alone.engine())
    assert case_steps(engine) == case_steps(alone.engine())
    assert [_release(engine, n) for n in people] == ["deferred", None, "civilian_service", None, "exempted", None,
                                                      "deferred"]


def test_an_officer_s_list_is_decided_all_or_none(ctx, engine, tmp_path):
    day = drawn_campaign(ctx, tmp_path)
    people = [n for n, _ in called(day)[:len(LIST)]]
    ids = _apply(day, people)
    officer = as_role(day, "officer")
    with UnitOfWork(officer) as uow:
        decide_application(uow, ids[1], "refuse", reason="no service record on file")
    with UnitOfWork(officer) as uow, pytest.raises(CaseStateError, match="refused"):  # the second was decided already
        decide_applications(uow, [ApplicationDecision(i, "grant", "granted") for i in ids[:3]])
    with UnitOfWork(officer) as uow, pytest.raises(CaseInputError, match="decided once"):
        decide_applications(uow, [ApplicationDecision(ids[0], "grant", "granted")] * 2)
    with UnitOfWork(officer) as uow, pytest.raises(CaseInputError, match="only a deferral has an end date"):
        decide_applications(uow, [ApplicationDecision(ids[0], "grant", "granted"),
                                  ApplicationDecision(ids[2], "grant", "granted", dt.date(2027, 10, 1))])
    with UnitOfWork(officer) as uow:
        examination = medical.open_examination(uow, CAMPAIGN, people[-1]).id
    with UnitOfWork(officer) as uow, pytest.raises(CaseInputError, match="not an application to grant or refuse"):
        decide_applications(uow, [ApplicationDecision(ids[0], "grant", "granted"),
                                  ApplicationDecision(examination, "grant", "granted")])
    with UnitOfWork(as_role(day, "system")) as uow, pytest.raises(Forbidden):  # an officer's grant, not the system's
        decide_applications(uow, [ApplicationDecision(ids[0], "grant", "granted")])
    assert [_release(engine, n) for n in people] == [None] * len(LIST)  # nobody was released by a refused list
