"""Exemptions and alternative civilian service on both backends: grounds and evidence, reasons, permanent
release with a replacement, the civilian assignment for the policy's term and its completion."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from callup.campaigns.tables import Call
from callup.cases import civilian, exemptions
from callup.cases.decisions import decide_application
from callup.cases.errors import CaseInputError, CaseStateError
from callup.register.eligibility import eligible_pool_query
from callup.uow import UnitOfWork
from case_helpers import CAMPAIGN, as_role, called, drawn_campaign

calls = Call.__table__


def _release(engine, national_id):  # noqa: ANN001, ANN202
    with engine.connect() as conn:
        reason = conn.execute(select(calls.c.release_reason).where(calls.c.national_id == national_id)).scalar()
    return getattr(reason, "value", reason)


def _in_pool(day, engine, national_id, on):  # noqa: ANN001, ANN202
    version = day.policy().in_force(on)
    with engine.connect() as conn:
        return national_id in {r.national_id for r in conn.execute(eligible_pool_query(version, on))}


def test_an_exemption_is_decided_with_reasons_and_when_granted_is_permanent(ctx, engine, tmp_path):
    day = drawn_campaign(ctx, tmp_path)
    (first, region), (second, second_region) = called(day)[:2]
    officer = as_role(day, "officer", name="officer-x", regions=region)
    with UnitOfWork(officer) as uow:
        with pytest.raises(CaseInputError, match="needs evidence: service record"):
            exemptions.apply_for_exemption(uow, CAMPAIGN, first, "prior_service")
        with pytest.raises(CaseInputError, match="not one of the policy's: unfit, prior_service, bereaved_sibling"):
            exemptions.apply_for_exemption(uow, CAMPAIGN, first, "rich", evidence="x")
        case = exemptions.apply_for_exemption(uow, CAMPAIGN, first, "prior_service", evidence="SR-2019-4411")
        with pytest.raises(CaseInputError, match="only a deferral has an end date"):
            decide_application(uow, case.id, "grant", reason="served 2019-2020", until=dt.date(2028, 1, 1))
        granted = decide_application(uow, case.id, "grant", reason="served 2019-2020 in another state's forces")
    assert (granted.case.state, granted.case.ground, granted.released) == ("granted", "prior_service", True)
    assert granted.case.decision_reason == "served 2019-2020 in another state's forces"
    assert _release(engine, first) == "exempted" and _release(engine, granted.replacement) is None
    assert not _in_pool(day, engine, first, dt.date(2030, 4, 1))  # never called again while liable
    with UnitOfWork(as_role(day, "officer", regions=second_region)) as uow:
        other = exemptions.apply_for_exemption(uow, CAMPAIGN, second, "bereaved_sibling", evidence="DC-1")
        refused = decide_application(uow, other.id, "refuse", reason="the sibling did not die in service")
    assert refused.case.state == "refused" and not refused.released and _release(engine, second) is None


def test_civilian_service_is_decided_with_reasons_and_assigned_for_the_policy_s_term(ctx, engine, tmp_path):
    day = drawn_campaign(ctx, tmp_path)
    national_id, region = called(day)[0]
    with UnitOfWork(as_role(day, "citizen", person_id=national_id)) as uow:
        with pytest.raises(CaseInputError, match="reasons of conscience"):
            civilian.apply_for_civilian_service(uow, CAMPAIGN, national_id, statement=" ")
        case = civilian.apply_for_civilian_service(uow, CAMPAIGN, national_id, statement="I cannot bear arms.")
    assert (case.state, case.ground, case.history[0].reason) == ("applied", "conscience", "I cannot bear arms.")
    officer = as_role(day, "officer", regions=region)
    with UnitOfWork(officer) as uow:
        with pytest.raises(CaseStateError, match="is applied: cannot assign"):
            civilian.assign(uow, case.id, employer="City hospital", start=dt.date(2027, 5, 1))
        granted = decide_application(uow, case.id, "grant", reason="a consistent conviction, stated at the hearing")
    assert granted.released and _release(engine, national_id) == "civilian_service"
    with UnitOfWork(officer) as uow:
        placed = civilian.assign(uow, case.id, employer="City hospital", start=dt.date(2027, 5, 1))
    assert (placed.case.state, placed.planned_end, placed.term_months) == ("assigned", dt.date(2029, 2, 1), 21)
    assert not _in_pool(day, engine, national_id, dt.date(2030, 4, 1))
    with UnitOfWork(as_role(day, "system")) as uow:
        assert civilian.complete_due(uow, dt.date(2029, 1, 31)) == []
        assert civilian.complete_due(uow, dt.date(2029, 2, 1)) == [case.id]
        assert civilian.complete_due(uow, dt.date(2029, 2, 1)) == []  # idempotent
    with UnitOfWork(officer) as uow:
        assert civilian.case_of_kind(uow, case.id, civilian.CaseKind.civilian_service)["state"] == "completed"
