"""Appeals on both backends: deadlines, independence, uphold, and an overturn that restores the case and the call
exactly (hypothesis stateful testing over decisions, appeals and overturns)."""

from __future__ import annotations

import collections
import datetime as dt

import pytest
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import func, select

from callup import audit
from callup.campaigns.tables import Call, OrderEntry
from callup.cases import appeals, deferrals, exemptions, medical
from callup.cases.appeals import AppealLate
from callup.cases.decisions import decide_application
from callup.cases.errors import CaseStateError
from callup.cases.tables import Case
from callup.cases.views import queue
from callup.register.eligibility import eligible_pool_query
from callup.uow import UnitOfWork
from case_helpers import CAMPAIGN, as_role, called, drawn_campaign, on_day

calls, cases = Call.__table__, Case.__table__


def _snapshot(engine, case_id):  # noqa: ANN001, ANN202
    """The case row (without its update time and version, which every step raises) and the person's call, as stored."""
    with engine.connect() as conn:
        case = dict(conn.execute(select(cases).where(cases.c.id == case_id)).mappings().one())
        call = conn.execute(select(calls.c.release_reason, calls.c.released_at, calls.c.source)
                            .where(calls.c.national_id == case["national_id"])).one()
    case.pop("updated_at")
    case.pop("version")
    return case, tuple(call)


def _active(engine, region):  # noqa: ANN001, ANN202
    with engine.connect() as conn:
        rows = conn.execute(select(calls.c.national_id, calls.c.replaces, calls.c.release_reason)
                            .where(calls.c.region == region)).all()
    live = {r.national_id for r in rows if r.release_reason is None}
    supernumerary = {r.national_id for r in rows if r.release_reason is None and r.replaces in live}
    return live, supernumerary


def _pool(day, engine, on):  # noqa: ANN001, ANN202
    """Who would be in a campaign's pool on `on` (the register's eligibility)."""
    with engine.connect() as conn:
        return {r.national_id for r in conn.execute(eligible_pool_query(day.policy().in_force(on), on))}


def test_an_overturned_release_restores_the_case_and_the_call_and_the_replacement_keeps_theirs(ctx, engine, tmp_path):
    day = drawn_campaign(ctx, tmp_path, quota=120)
    with engine.connect() as conn:
        reserve = dict(conn.execute(select(OrderEntry.__table__.c.region, func.count()).group_by("region")).all())
    calls_by_region = collections.Counter(r for _, r in called(day))
    region = max((r for r, n in calls_by_region.items() if n >= 2 and reserve[r] - n >= 2), key=calls_by_region.get)
    national_id, _ = called(day, region=region)[0]
    with UnitOfWork(as_role(day, "officer", regions=region)) as uow:
        case = medical.open_examination(uow, CAMPAIGN, national_id)
    before = _snapshot(engine, case.id)
    live_before, _ = _active(engine, region)
    with UnitOfWork(as_role(day, "medical", name="dr-a", regions=region)) as uow:
        decision = medical.decide_fitness(uow, case.id, "D", details="x")
    next_year = dt.date(2027, 10, 1)
    assert national_id not in _pool(day, engine, next_year)  # unfit: out of every later pool
    with UnitOfWork(as_role(day, "citizen", person_id=national_id)) as uow:
        appeal = appeals.lodge_appeal(uow, case.id, reason="a second opinion finds me fit", evidence="MED-2")
    assert (appeal.state, appeal.appeals_case, appeal.ground) == ("lodged", case.id, "medical:unfit")
    judge = as_role(on_day(day, day.today() + dt.timedelta(days=20)), "officer", name="appeals-officer", regions=region)
    with UnitOfWork(judge) as uow:
        outcome = appeals.decide_appeal(uow, appeal.id, "overturn", reason="the second opinion is conclusive")
    assert (outcome.appeal.state, outcome.contested.state) == ("overturned", "open")
    assert outcome.restored_call and outcome.replacement_kept == decision.replacement
    assert _snapshot(engine, case.id) == before  # the case and the call exactly as before the decision
    assert national_id in _pool(day, engine, next_year)  # the overturned finding keeps them out of no pool
    live, supernumerary = _active(engine, region)
    assert live == live_before | {decision.replacement}  # the replacement keeps their call ...
    assert supernumerary == {decision.replacement}  # ... as a call beyond the region's number
    restored = audit.entries(engine, action="campaign.restore")
    assert [(e.actor, e.details["replacement_kept"]) for e in restored] == [("appeals-officer", decision.replacement)]
    with UnitOfWork(judge) as uow:  # the case waits for the board again
        assert case.id in [i.id for i in queue(uow)]
    other = next(n for n, _ in called(day, region=region) if n not in (national_id, decision.replacement))
    with UnitOfWork(as_role(day, "officer", regions=region)) as uow:  # the next release is filled by the supernumerary
        exemption = exemptions.apply_for_exemption(uow, CAMPAIGN, other, "prior_service", evidence="SR-1")
        granted = decide_application(uow, exemption.id, "grant", reason="served abroad")
    assert granted.replacement == decision.replacement
    assert _active(engine, region) == (live_before - {other} | {decision.replacement}, set())


def test_a_late_appeal_is_refused_showing_the_deadline_and_an_upheld_decision_stands(ctx, engine, tmp_path):
    day = drawn_campaign(ctx, tmp_path)
    national_id, region = called(day)[0]
    officer = as_role(day, "officer", name="officer-1", regions=region)
    with UnitOfWork(officer) as uow:
        case = deferrals.apply_for_deferral(uow, CAMPAIGN, national_id, "children", evidence="BC-3").case
        with pytest.raises(CaseStateError, match="is applied: there is no decision to appeal"):
            appeals.lodge_appeal(uow, case.id, reason="x")
        assert not appeals.may_appeal(uow, case.id)
        refused = deferrals.decide_deferral(uow, case.id, "refuse", reason="one child, aged five").case
    assert refused.appeal_deadline == dt.date(2027, 5, 10)
    late = on_day(day, dt.date(2027, 5, 11))
    with UnitOfWork(as_role(late, "citizen", person_id=national_id)) as uow:
        with pytest.raises(AppealLate, match="the appeal deadline of case .* was 2027-05-10 \\(1 days ago\\)"):
            appeals.lodge_appeal(uow, case.id, reason="I have a second child now")
        assert not appeals.may_appeal(uow, case.id)
    in_time = on_day(day, dt.date(2027, 5, 10))
    with UnitOfWork(as_role(in_time, "citizen", person_id=national_id)) as uow:
        assert appeals.may_appeal(uow, case.id)
        appeal = appeals.lodge_appeal(uow, case.id, reason="I have a second child now", evidence="BC-4")
        assert not appeals.may_appeal(uow, case.id)
        with pytest.raises(CaseStateError, match="already has an appeal lodged"):
            appeals.lodge_appeal(uow, case.id, reason="again")
    with UnitOfWork(on_day(officer, dt.date(2027, 5, 12))) as uow:
        with pytest.raises(CaseStateError, match="contests your own decision"):
            appeals.decide_appeal(uow, appeal.id, "uphold", reason="x")
    with UnitOfWork(as_role(in_time, "officer", name="officer-2", regions=region)) as uow:
        outcome = appeals.decide_appeal(uow, appeal.id, "uphold", reason="the second birth certificate is not attached")
        with pytest.raises(CaseStateError, match="is upheld: there is no decision to appeal"):
            appeals.lodge_appeal(uow, appeal.id, reason="appeal the appeal")
    with UnitOfWork(as_role(in_time, "citizen", person_id=national_id)) as uow:  # one appeal per decision, also once decided
        assert not appeals.may_appeal(uow, case.id)
        with pytest.raises(CaseStateError, match="already has an appeal lodged"):
            appeals.lodge_appeal(uow, case.id, reason="and again")
    assert (outcome.appeal.state, outcome.contested.state, outcome.restored_call) == ("upheld", "refused", False)
    assert outcome.appeal.decided_by == "officer-2"


class _Decisions(RuleBasedStateMachine):
    """Random decisions, appeals, upholds and overturns on one person's medical and deferral cases: every overturn
    gives back exactly the case and call as they were before the decision it undoes."""

    day = engine = None  # set per test
    people: list = []

    @initialize()
    def start(self) -> None:
        self.national_id, self.region = self.people.pop()
        self.board = as_role(self.day, "medical", name="board", regions=self.region)
        self.officer = as_role(self.day, "officer", name="first-officer", regions=self.region)
        self.judge = as_role(self.day, "officer", name="judge", regions=self.region)
        with UnitOfWork(self.officer) as uow:
            self.medical = medical.open_examination(uow, CAMPAIGN, self.national_id).id
        self.deferral = None
        self.before: dict[int, tuple] = {}
        self.states: dict[int, str] = {self.medical: "open"}
        self.upheld: set[int] = set()

    def _decided(self, case_id: int) -> bool:
        return self.states.get(case_id) not in (None, "open", "applied")

    @precondition(lambda self: self.deferral is None and not self._released())
    @rule()
    def apply_for_deferral(self) -> None:
        with UnitOfWork(self.officer) as uow:
            self.deferral = deferrals.apply_for_deferral(uow, CAMPAIGN, self.national_id, "family_care", evidence="C").case.id
        self.states[self.deferral] = "applied"

    def _released(self) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(calls.c.release_reason).where(calls.c.national_id == self.national_id)).scalar() is not None

    @precondition(lambda self: self.states[self.medical] == "open")
    @rule(category=st.sampled_from(["A", "B", "V", "G", "D"]))
    def examine(self, category: str) -> None:
        self.before[self.medical] = _snapshot(self.engine, self.medical)
        with UnitOfWork(self.board) as uow:
            until = uow.ctx.today() + dt.timedelta(days=90) if category == "G" else None  # G is temporary: a date is required
            self.states[self.medical] = medical.decide_fitness(uow, self.medical, category, reexamine_on=until).case.state

    @precondition(lambda self: self.deferral is not None and self.states[self.deferral] == "applied")
    @rule(grant=st.booleans())
    def decide_deferral(self, grant: bool) -> None:
        self.before[self.deferral] = _snapshot(self.engine, self.deferral)
        with UnitOfWork(self.officer) as uow:
            self.states[self.deferral] = deferrals.decide_deferral(uow, self.deferral, "grant" if grant else "refuse",
                                                                   reason="decided").case.state

    @rule(which=st.sampled_from(["medical", "deferral"]), overturn=st.booleans())
    def appeal(self, which: str, overturn: bool) -> None:
        case_id = getattr(self, which)
        if case_id is None or not self._decided(case_id):
            return
        if case_id in self.upheld:  # one appeal per decision: one upheld on appeal stands
            with UnitOfWork(as_role(self.day, "citizen", person_id=self.national_id)) as uow:
                assert not appeals.may_appeal(uow, case_id)
                with pytest.raises(CaseStateError, match="already has an appeal lodged"):
                    appeals.lodge_appeal(uow, case_id, reason="I still disagree")
            return
        with UnitOfWork(as_role(self.day, "citizen", person_id=self.national_id)) as uow:
            assert appeals.may_appeal(uow, case_id)
            appeal = appeals.lodge_appeal(uow, case_id, reason="I disagree").id
        with UnitOfWork(self.judge) as uow:
            outcome = appeals.decide_appeal(uow, appeal, "overturn" if overturn else "uphold", reason="reviewed")
        self.states[case_id] = outcome.contested.state
        if not overturn:
            self.upheld.add(case_id)
        if overturn:
            case_now, call_now = _snapshot(self.engine, case_id)
            case_then, call_then = self.before[case_id]
            assert case_now == case_then
            other = self.deferral if which == "medical" else self.medical
            if other is None or self.states.get(other) not in ("unfit", "temporarily_unfit", "granted"):
                assert call_now == call_then

    @invariant()
    def released_exactly_when_a_decision_holds_the_release(self) -> None:
        holding = [s for s in self.states.values() if s in ("unfit", "temporarily_unfit", "granted")]
        assert self._released() == bool(holding)


def test_random_decisions_appeals_and_overturns_restore_exactly(ctx, engine, tmp_path):
    day = drawn_campaign(ctx, tmp_path, quota=60)
    machine = type("Decisions", (_Decisions,), {"day": day, "engine": engine, "people": called(day)[:40]})
    run_state_machine_as_test(machine, settings=settings(max_examples=12, stateful_step_count=8, deadline=None,
                                                         derandomize=True, suppress_health_check=list(HealthCheck)))
