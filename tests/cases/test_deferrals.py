"""Deferrals on both backends: registry imports, the check at application, automatic grants only where the policy
allows them and never an automatic refusal, end dates, the queue with ages."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select

from callup import audit
from callup.campaigns.tables import Call
from callup.cases import deferrals, registries
from callup.cases.applications import withdraw
from callup.cases.errors import CaseInputError, CaseStateError
from callup.cases.views import queue
from callup.errors import Forbidden
from callup.register.eligibility import eligible_pool_query
from callup.uow import UnitOfWork
from callup_test_support import NORTHLAND_POLICY
from case_helpers import CAMPAIGN, as_role, called, drawn_campaign, on_day

calls = Call.__table__


def _enrolment(day, tmp_path, rows: list[tuple[str, str]], name: str = "enrolment.csv"):  # noqa: ANN001, ANN202
    path = tmp_path / name
    path.write_text("national_id,valid_until,reference\n" + "".join(f"{i},{d},ref-{n}\n" for n, (i, d) in enumerate(rows)))
    with UnitOfWork(day) as uow:
        return registries.import_registry(uow, "enrolment", path)


def _call(engine, national_id):  # noqa: ANN001, ANN202
    with engine.connect() as conn:
        return conn.execute(select(calls).where(calls.c.national_id == national_id)).mappings().first()


def test_a_registry_import_rejects_bad_rows_without_echoing_ids_and_is_idempotent(ctx, engine, tmp_path):
    path = tmp_path / "enrolment.csv"
    path.write_text("national_id,valid_until\nab-12 34,2028-06-30\n--,2028-06-30\nSECRET-ID-9,next year\n")
    with UnitOfWork(ctx) as uow:
        result = registries.import_registry(uow, "enrolment", path)
        assert (result.rows, result.rejected, result.already_imported) == (1, 2, False)
        assert registries.check(uow, "enrolment", "AB1234", dt.date(2028, 1, 1)).result == "verified"
        assert registries.check(uow, "enrolment", "AB1234", dt.date(2028, 7, 1)).result == "expired"
        assert registries.check(uow, "enrolment", "ZZ", dt.date(2028, 1, 1)).result == "not_found"
        assert registries.check(uow, "other", "AB1234", dt.date(2028, 1, 1)).result == "no_registry"
        again = registries.import_registry(uow, "enrolment", path)
        assert again.already_imported and again.import_id == result.import_id
        with pytest.raises(CaseInputError, match="registry name"):
            registries.import_registry(uow, "Bad Name", path)
        assert [r.name for r in registries.list_registries(uow)] == ["enrolment"]
    rejects = open(result.rejects_file).read()
    assert "line 3" not in rejects and "3,national_id: empty once normalised" in rejects
    assert "SECRET" not in rejects and "4,valid_until" in rejects
    with UnitOfWork(as_role(ctx, "officer", regions="R01")) as uow:
        with pytest.raises(Forbidden):
            registries.import_registry(uow, "enrolment", path)


def test_a_verified_ground_is_granted_in_the_same_request_where_the_policy_allows_it(ctx, engine, tmp_path):
    day = drawn_campaign(ctx, tmp_path)
    national_id, region = called(day)[0]
    _enrolment(day, tmp_path, [(national_id, "2028-06-30")])
    citizen = as_role(day, "citizen", name="applicant", person_id=national_id)
    with UnitOfWork(citizen) as uow:
        outcome = deferrals.apply_for_deferral(uow, CAMPAIGN, national_id, "study")
    assert outcome.granted_automatically and outcome.case.state == "granted" and outcome.released
    assert outcome.case.until == dt.date(2028, 6, 30)  # the registry's date, within the ground's 60 months
    assert outcome.check.result == "verified" and "line 2: valid until 2028-06-30" in outcome.check.source
    assert (outcome.case.decided_by, outcome.case.decided_role) == ("callup: registry check", "system")
    assert outcome.case.check_source == outcome.check.source
    assert _call(engine, national_id)["release_reason"].value == "deferred"
    assert _call(engine, outcome.replacement)["replaces"] == national_id
    steps = [(e.actor, e.role, e.details["step"]) for e in audit.entries(engine, action="case.step")]
    assert steps == [("applicant", "citizen", "apply"), ("callup: registry check", "system", "grant")]
    version = day.policy().in_force(day.today())
    with engine.connect() as conn:
        def pool(on):  # noqa: ANN001, ANN202
            return {r.national_id for r in conn.execute(eligible_pool_query(version, on))}
        assert national_id not in pool(dt.date(2028, 6, 30)) and national_id in pool(dt.date(2028, 7, 1))


@pytest.mark.parametrize(("listed", "expected"), [(None, "not_found"), ("2027-01-31", "expired")])
def test_a_ground_that_does_not_verify_waits_for_an_officer_never_refused_automatically(ctx, engine, tmp_path, listed, expected):
    day = drawn_campaign(ctx, tmp_path)
    (national_id, region), (other, _) = called(day)[:2]
    _enrolment(day, tmp_path, [(other, "2028-06-30")] + ([(national_id, listed)] if listed else []))
    with UnitOfWork(day) as uow:
        with pytest.raises(CaseInputError, match="needs evidence: certificate of enrolment"):
            deferrals.apply_for_deferral(uow, CAMPAIGN, national_id, "study")
        outcome = deferrals.apply_for_deferral(uow, CAMPAIGN, national_id, "study", evidence="ENR-2027-77")
    assert (outcome.case.state, outcome.granted_automatically, outcome.check.result) == ("applied", False, expected)
    assert _call(engine, national_id)["release_reason"] is None
    later = on_day(day, day.today() + dt.timedelta(days=5))
    officer = as_role(later, "officer", name="officer-r", regions=region)
    with UnitOfWork(officer) as uow:
        (item,) = queue(uow)
        assert (item.id, item.age_days, item.check_result, item.ground) == (outcome.case.id, 5, expected, "study")
        refused = deferrals.decide_deferral(uow, outcome.case.id, "refuse", reason="no proof of enrolment for the term")
    assert refused.case.state == "refused" and refused.case.decided_by == "officer-r" and not refused.released
    assert _call(engine, national_id)["release_reason"] is None


def test_where_the_policy_does_not_allow_it_a_verified_ground_still_waits_for_an_officer(ctx, engine, tmp_path):
    day = drawn_campaign(ctx, tmp_path)
    national_id, region = called(day)[0]
    _enrolment(day, tmp_path, [(national_id, "2028-06-30")])
    northland = dataclasses.replace(day, policy_path=str(NORTHLAND_POLICY))
    with UnitOfWork(northland) as uow:
        outcome = deferrals.apply_for_deferral(uow, CAMPAIGN, national_id, "study")
    assert (outcome.case.state, outcome.check.result, outcome.granted_automatically) == ("applied", "verified", False)
    officer = dataclasses.replace(as_role(day, "officer", regions=region), policy_path=str(NORTHLAND_POLICY))
    with UnitOfWork(officer) as uow:
        with pytest.raises(CaseInputError, match="at most 36 months"):
            deferrals.decide_deferral(uow, outcome.case.id, "grant", reason="enrolled", until=dt.date(2031, 1, 1))
        granted = deferrals.decide_deferral(uow, outcome.case.id, "grant", reason="enrolled (registry verified)",
                                            until=dt.date(2028, 6, 30))
    assert granted.case.state == "granted" and granted.released and granted.case.until == dt.date(2028, 6, 30)


def test_grounds_evidence_roles_and_withdrawal(ctx, engine, tmp_path):
    day = drawn_campaign(ctx, tmp_path)
    (national_id, region), (second, second_region) = called(day)[:2]
    with UnitOfWork(day) as uow:
        with pytest.raises(CaseInputError, match="not one of the policy's: study, health, family_care, children"):
            deferrals.apply_for_deferral(uow, CAMPAIGN, national_id, "hobby", evidence="x")
        case = deferrals.apply_for_deferral(uow, CAMPAIGN, national_id, "family_care", evidence="CARE-1").case
        assert case.check_result is None  # no registry for this ground
        with pytest.raises(CaseStateError, match="already has an open deferral case"):
            deferrals.apply_for_deferral(uow, CAMPAIGN, national_id, "children", evidence="BC-1")
    with UnitOfWork(as_role(day, "system")) as uow:
        with pytest.raises(Forbidden):
            deferrals.decide_deferral(uow, case.id, "grant", reason="x")
        with pytest.raises(Forbidden):
            deferrals.decide_deferral(uow, case.id, "refuse", reason="x")
    with UnitOfWork(as_role(day, "officer", regions=region)) as uow:
        with pytest.raises(CaseInputError, match="needs a reason"):
            deferrals.decide_deferral(uow, case.id, "grant", reason=" ")
        assert _call(engine, national_id)["release_reason"] is None  # checked before anything was released
        assert withdraw(uow, case.id, reason="no longer needed").state == "withdrawn"
    with UnitOfWork(as_role(day, "citizen", person_id=second)) as uow:
        mine = deferrals.apply_for_deferral(uow, CAMPAIGN, second, "children", evidence="BC-7").case
        assert withdraw(uow, mine.id).state == "withdrawn"
