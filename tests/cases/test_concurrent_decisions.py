"""Two officers deciding the same case at once: exactly one decision is recorded; the other officer is told the case
was decided meanwhile (on PostgreSQL both have read the waiting case before either writes)."""

from __future__ import annotations

import concurrent.futures
import threading

import pytest

from callup.cases import deferrals, transitions
from callup.cases.decisions import decide_case
from callup.cases.errors import CaseChanged
from callup.cases.views import case_view
from callup.errors import StateError
from callup.uow import UnitOfWork
from case_helpers import CAMPAIGN, as_role, called, drawn_campaign


def _decide(ctx, case_id, decision):  # noqa: ANN001, ANN202
    with UnitOfWork(ctx) as uow:
        return decide_case(uow, case_id, decision, reason=f"{decision}: decided by {ctx.actor.name}")


@pytest.mark.parametrize("first", ["grant", "refuse"])
def test_two_officers_deciding_one_case_at_once_one_wins_and_the_other_is_told(ctx, engine, tmp_path, monkeypatch, first):
    day = drawn_campaign(ctx, tmp_path)
    national_id, region = called(day)[0]
    with UnitOfWork(as_role(day, "citizen", name="applicant", person_id=national_id)) as uow:
        case_id = deferrals.apply_for_deferral(uow, CAMPAIGN, national_id, "family_care", evidence="CERT-1").case.id
    officers = [as_role(day, "officer", name=f"officer-{k}", regions=region) for k in "ab"]
    if engine.dialect.name == "postgresql":  # both read the waiting case before either decides
        both_read, load, seen = threading.Barrier(2, timeout=60), transitions.load, threading.local()

        def load_then_wait(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            row = load(*args, **kwargs)
            if not getattr(seen, "waited", False):
                seen.waited = True
                both_read.wait()
            return row

        monkeypatch.setattr(transitions, "load", load_then_wait)
    other = "refuse" if first == "grant" else "grant"
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(_decide, o, case_id, d) for o, d in zip(officers, (first, other), strict=True)]
    outcomes = [f.exception() for f in futures]
    assert sum(e is None for e in outcomes) == 1, outcomes
    winner = next(f.result() for f in futures if f.exception() is None)
    loser = next(e for e in outcomes if e is not None)
    assert isinstance(loser, StateError) and winner.state in str(loser), loser
    monkeypatch.undo()
    with UnitOfWork(day, write=False) as uow:
        after = case_view(uow, case_id, reason="test")
    decided = [h for h in after.history if h.step in ("grant", "refuse")]
    assert len(decided) == 1 and after.state == winner.state and after.decided_by == winner.decided_by


def _decide_on(ctx, case_id, decision, version, ready):  # noqa: ANN001, ANN202
    ready.wait()  # both officers submit at once, each with the version their page showed
    with UnitOfWork(ctx) as uow:
        return decide_case(uow, case_id, decision, reason=f"{decision}: decided by {ctx.actor.name}", version=version)


def test_two_officers_submitting_decisions_made_on_the_same_page_one_is_recorded_the_other_is_told_the_case_changed(ctx, tmp_path):
    day = drawn_campaign(ctx, tmp_path)
    national_id, region = called(day)[0]
    with UnitOfWork(as_role(day, "citizen", name="applicant", person_id=national_id)) as uow:
        case_id = deferrals.apply_for_deferral(uow, CAMPAIGN, national_id, "family_care", evidence="CERT-1").case.id
    officers = [as_role(day, "officer", name=f"officer-{k}", regions=region) for k in "ab"]
    with UnitOfWork(officers[0], write=False) as uow:
        shown = case_view(uow, case_id, reason="test").version  # both officers opened the page at this version
    ready = threading.Barrier(2, timeout=60)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(_decide_on, o, case_id, d, shown, ready) for o, d in zip(officers, ("grant", "refuse"), strict=True)]
    outcomes = [f.exception() for f in futures]
    assert sum(e is None for e in outcomes) == 1, outcomes
    loser = next(e for e in outcomes if e is not None)
    assert isinstance(loser, CaseChanged) and "changed while you were deciding" in str(loser), loser
    with UnitOfWork(day, write=False) as uow:
        after = case_view(uow, case_id, reason="test")
    assert [h.step for h in after.history if h.step in ("grant", "refuse")] == [after.history[-1].step]
    assert after.version > shown


def test_a_decision_on_a_page_read_before_an_appeal_restored_the_case_is_refused_though_its_state_is_the_same(ctx, tmp_path):
    """The case went refused -> (appeal allowed) -> applied again: the state matches the old page, the version does not."""
    from callup.cases import appeals

    day = drawn_campaign(ctx, tmp_path)
    national_id, region = called(day)[0]
    with UnitOfWork(as_role(day, "citizen", name="applicant", person_id=national_id)) as uow:
        case_id = deferrals.apply_for_deferral(uow, CAMPAIGN, national_id, "family_care", evidence="CERT-1").case.id
    a, b = (as_role(day, "officer", name=f"officer-{k}", regions=region) for k in "ab")
    with UnitOfWork(a, write=False) as uow:
        stale = case_view(uow, case_id, reason="test")
    with UnitOfWork(a) as uow:
        decide_case(uow, case_id, "refuse", reason="no certificate", version=stale.version)
    with UnitOfWork(as_role(day, "citizen", name="applicant", person_id=national_id)) as uow:
        appeal = appeals.lodge_appeal(uow, case_id, reason="the certificate is attached")
    with UnitOfWork(b) as uow:
        appeals.decide_appeal(uow, appeal.id, "overturn", reason="the certificate was on file")
    with UnitOfWork(b, write=False) as uow:
        now = case_view(uow, case_id, reason="test")
    assert now.state == stale.state == "applied" and now.version != stale.version
    with pytest.raises(CaseChanged), UnitOfWork(b) as uow:
        decide_case(uow, case_id, "grant", reason="granted on the old page", version=stale.version)
    with UnitOfWork(b) as uow:
        assert decide_case(uow, case_id, "grant", reason="granted on the page as it is", version=now.version).state == "granted"
