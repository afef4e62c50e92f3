"""The case core: every machine's table (pure, property-tested) and the one transition path on both backends."""

from __future__ import annotations

import collections
import re

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

from callup import audit
from callup.cases import transitions
from callup.cases.errors import CaseInputError, CaseNotFound, CaseStateError
from callup.cases.machines import MACHINES, NEW, ROLES, appealable, opening_step
from callup.cases.tables import Case, CaseKind, CaseTransition
from callup.cases.views import case_view, queue
from callup.context import Role
from callup.errors import Forbidden
from callup.uow import UnitOfWork
from case_helpers import CAMPAIGN, as_role, called, drawn_campaign

ALL_STEPS = sorted({step for m in MACHINES.values() for step in m.steps})


def _table(text: str) -> dict[tuple[str, str], str]:
    return {(state, step): nxt for state, step, nxt in re.findall(r"(\w+) --(\w+)--> (\w+)", text)}


#: The transitions each kind of case is meant to have, written out here rather than read from the
#: machines, so that a changed table fails the tests below until this expectation is changed too.
EXPECTED: dict[CaseKind, dict[tuple[str, str], str]] = {
    CaseKind.medical: _table("""
        new --open--> open          open --find_fit--> fit      open --find_unfit--> unfit
        open --find_temporarily_unfit--> temporarily_unfit      open --cancel--> cancelled
        fit --overturn--> open      unfit --overturn--> open    temporarily_unfit --overturn--> open"""),
    CaseKind.deferral: _table("""
        new --apply--> applied      applied --grant--> granted  applied --refuse--> refused
        applied --withdraw--> withdrawn  granted --overturn--> applied  refused --overturn--> applied"""),
    CaseKind.exemption: _table("""
        new --apply--> applied      applied --grant--> granted  applied --refuse--> refused
        applied --withdraw--> withdrawn  granted --overturn--> applied  refused --overturn--> applied"""),
    CaseKind.civilian_service: _table("""
        new --apply--> applied      applied --grant--> granted  applied --refuse--> refused
        applied --withdraw--> withdrawn  granted --overturn--> applied  refused --overturn--> applied
        granted --assign--> assigned  assigned --complete--> completed"""),
    CaseKind.appeal: _table("""
        new --lodge--> lodged       lodged --uphold--> upheld   lodged --overturn--> overturned
        lodged --withdraw--> withdrawn"""),
    CaseKind.no_show: _table("""
        new --open--> open          open --reschedule--> rescheduled  open --excuse--> excused
        open --refer--> referred    rescheduled --overturn--> open    excused --overturn--> open
        referred --overturn--> open"""),
}
#: States nothing may follow.
FINAL: dict[CaseKind, set[str]] = {CaseKind.medical: {"cancelled"}, CaseKind.deferral: {"withdrawn"},
                                   CaseKind.exemption: {"withdrawn"}, CaseKind.civilian_service: {"withdrawn", "completed"},
                                   CaseKind.appeal: {"upheld", "overturned", "withdrawn"}, CaseKind.no_show: set()}


def _paths(kind: CaseKind) -> dict[str, list[str]]:
    """The shortest step sequence from `new` to every state reachable in the expected table."""
    found, todo = {NEW: []}, collections.deque([NEW])
    while todo:
        state = todo.popleft()
        for (start, step), nxt in sorted(EXPECTED[kind].items()):
            if start == state and nxt not in found:
                found[nxt] = found[state] + [step]
                todo.append(nxt)
    return found


# --- the tables themselves --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(CaseKind))
def test_every_state_of_every_machine_is_reachable_and_every_step_has_roles(kind):
    machine = MACHINES[kind]
    assert set(_paths(kind)) == set(machine.states) | {NEW}
    assert set(machine.steps) <= set(ROLES)
    assert machine.allowed(NEW) == [opening_step(kind)]
    for state in machine.final:
        assert machine.allowed(state) == []


@pytest.mark.parametrize("kind", list(CaseKind))
def test_every_pair_of_state_and_step_is_allowed_exactly_when_the_expected_table_has_it(kind):
    machine, expected = MACHINES[kind], EXPECTED[kind]
    states = {NEW} | {s for s, _ in expected} | set(expected.values())
    assert set(machine.states) | {NEW} == states and set(machine.final) == FINAL[kind]
    for state in sorted(states):
        for step in ALL_STEPS:
            if (state, step) in expected:
                assert machine.step(state, step, subject="case 7 (x)") == expected[(state, step)]
            else:
                with pytest.raises(CaseStateError, match=f"case 7 \\(x\\) is {state}: cannot {step}"):
                    machine.step(state, step, subject="case 7 (x)")


@settings(max_examples=60, deadline=None, derandomize=True)
@given(kind=st.sampled_from(list(CaseKind)), steps=st.lists(st.sampled_from(ALL_STEPS), max_size=10))
def test_random_step_sequences_follow_the_expected_table_and_never_leave_a_final_state(kind, steps):
    machine, expected = MACHINES[kind], EXPECTED[kind]
    state = NEW
    for step in steps:
        if (state, step) in expected:
            assert state not in FINAL[kind]
            reached = machine.step(state, step, subject="c")
            assert reached == expected[(state, step)]
            state = reached
        else:
            with pytest.raises(CaseStateError, match=f"c is {state}: cannot {step}"):
                machine.step(state, step, subject="c")


def test_only_decided_states_can_be_appealed_and_an_appeal_itself_cannot():
    assert appealable(CaseKind.deferral, "refused") and appealable(CaseKind.medical, "unfit")
    assert not appealable(CaseKind.deferral, "applied") and not appealable(CaseKind.appeal, "upheld")
    assert "refuse" not in {s for s, roles in ROLES.items() if Role.system in roles}  # never an automatic refusal


# --- the transition path in the store ---------------------------------------------------------------------


def _actor_for(ctx, step: str, region: str):  # noqa: ANN001, ANN202
    for role in (Role.administrator, Role.officer, Role.medical, Role.system):
        if role in ROLES[step]:
            regions = region if role in (Role.officer, Role.medical) else None
            return as_role(ctx, role.value, regions=regions)
    raise AssertionError(step)


def _count(uow, table) -> int:  # noqa: ANN001
    return uow.execute(select(func.count()).select_from(table)).scalar_one()


def test_every_declared_transition_is_taken_and_stored_and_every_other_is_refused_writing_nothing(ctx, engine, tmp_path):
    day = drawn_campaign(ctx, tmp_path)
    national_id, region = called(day)[0]
    log = audit.entries(engine)
    for kind in CaseKind:
        _machine, paths = MACHINES[kind], _paths(kind)
        for state, path in paths.items():
            if state == NEW:
                continue
            with UnitOfWork(day) as uow, uow.conn.begin_nested() as reached:
                uow.ctx = _actor_for(day, path[0], region)
                case = transitions.open_case(uow, CAMPAIGN, national_id, kind, reason="r")
                for taken in path[1:]:
                    uow.ctx = _actor_for(day, taken, region)
                    case = transitions.transition(uow, transitions.load(uow, case["id"], lock=True), taken, reason="r")
                assert case["state"] == state
                for step in ALL_STEPS:
                    uow.ctx = acting = _actor_for(day, step, region)
                    rows = _count(uow, CaseTransition.__table__)
                    with uow.conn.begin_nested() as attempt:
                        if (state, step) in EXPECTED[kind]:
                            after = transitions.transition(uow, case, step, reason="because", evidence="doc-1")
                            assert after["state"] == EXPECTED[kind][(state, step)]
                            last = uow.execute(select(CaseTransition.__table__).where(
                                CaseTransition.__table__.c.case_id == case["id"]).order_by(
                                CaseTransition.__table__.c.seq.desc())).mappings().first()
                            assert (last["from_state"], last["step"], last["to_state"], last["reason"], last["evidence"]) == (
                                state, step, after["state"], "because", "doc-1")
                            assert (last["actor"], last["role"], last["seq"]) == (acting.actor.name, acting.actor.role.value,
                                                                                  len(path) + 1)
                        else:
                            with pytest.raises(CaseStateError, match=f"case {case['id']} .* is {state}: cannot {step}"):
                                transitions.transition(uow, case, step, reason="because")
                            assert _count(uow, CaseTransition.__table__) == rows
                        attempt.rollback()
                reached.rollback()
    assert len(audit.entries(engine)) == len(log)  # every savepoint rolled back with its audit entries
    assert audit.verify(engine).ok


def test_each_transition_is_audited_with_its_actor_and_role_in_the_same_transaction(ctx, engine, tmp_path):
    day = drawn_campaign(ctx, tmp_path)
    national_id, region = called(day)[0]
    officer = as_role(day, "officer", name="officer-north", regions=region)
    with UnitOfWork(officer) as uow:
        case = transitions.open_case(uow, CAMPAIGN, national_id, CaseKind.exemption, ground="prior_service", evidence="SR-1")
        case = transitions.transition(uow, case, "refuse", reason="no service record found")
    with UnitOfWork(officer) as uow:
        view = case_view(uow, case["id"])
    assert [(t.step, t.actor, t.role) for t in view.history] == [("apply", "officer-north", "officer"),
                                                                 ("refuse", "officer-north", "officer")]
    assert (view.decided_by, view.decided_role, view.decision_reason) == ("officer-north", "officer", "no service record found")
    assert view.appeal_deadline == day.today() + __import__("datetime").timedelta(days=30)
    steps = [e for e in audit.entries(engine, action="case.step")]
    assert [(e.actor, e.role, e.details["step"], e.details["to_state"]) for e in steps] == [
        ("officer-north", "officer", "apply", "applied"), ("officer-north", "officer", "refuse", "refused")]
    assert "no service record found" not in str(steps[-1].details) and steps[-1].details["reason_sha256"]
    assert [e.action for e in audit.entries(engine, action="person.read")][-1:] == ["person.read"]


def test_a_failing_step_rolls_back_the_case_its_history_and_its_audit_entry(ctx, engine, tmp_path):
    day = drawn_campaign(ctx, tmp_path)
    national_id, _ = called(day)[0]
    before = len(audit.entries(engine))
    with pytest.raises(RuntimeError):
        with UnitOfWork(day) as uow:
            transitions.open_case(uow, CAMPAIGN, national_id, CaseKind.deferral, ground="study")
            raise RuntimeError("crash after the step")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Case.__table__)).scalar_one() == 0
    assert len(audit.entries(engine)) == before


def test_a_regional_officer_cannot_see_or_decide_another_region_s_case(ctx, engine, tmp_path):
    day = drawn_campaign(ctx, tmp_path)
    people = called(day)
    (_, region), (other, other_region) = people[0], next(p for p in people if p[1] != people[0][1])
    with UnitOfWork(day) as uow:
        theirs = transitions.open_case(uow, CAMPAIGN, other, CaseKind.deferral, ground="study")
    officer = as_role(day, "officer", name="officer-a", regions=region)
    with UnitOfWork(officer) as uow:
        with pytest.raises(CaseNotFound):
            transitions.transition(uow, transitions.load(uow, theirs["id"], lock=True), "refuse", reason="no")
        with pytest.raises(CaseNotFound):
            case_view(uow, theirs["id"])
        with pytest.raises(CaseNotFound, match="not called"):
            transitions.open_case(uow, CAMPAIGN, other, CaseKind.exemption, ground="unfit")
        assert [i.id for i in queue(uow)] == []
    with UnitOfWork(as_role(day, "officer", regions=other_region)) as uow:
        assert [i.id for i in queue(uow)] == [theirs["id"]]


def test_roles_decisions_reasons_and_citizens(ctx, engine, tmp_path):
    day = drawn_campaign(ctx, tmp_path)
    national_id, region = called(day)[0]
    citizen = as_role(day, "citizen", person_id=national_id)
    with UnitOfWork(citizen) as uow:  # a citizen applies for themselves
        case = transitions.open_case(uow, CAMPAIGN, national_id, CaseKind.deferral, ground="study", evidence="ENR-9")
        with pytest.raises(Forbidden, match="refuse"):
            transitions.transition(uow, case, "refuse", reason="no")
    with UnitOfWork(as_role(day, "citizen", person_id="SOMEONE-ELSE")) as uow:
        with pytest.raises(CaseNotFound):
            transitions.load(uow, case["id"])
    with UnitOfWork(as_role(day, "system")) as uow:  # the system never refuses
        with pytest.raises(Forbidden):
            transitions.transition(uow, transitions.load(uow, case["id"], lock=True), "refuse", reason="no")
    with UnitOfWork(as_role(day, "officer", regions=region)) as uow:
        with pytest.raises(CaseInputError, match="needs a reason"):
            transitions.transition(uow, transitions.load(uow, case["id"], lock=True), "grant", reason="  ")
        medical = transitions.open_case(uow, CAMPAIGN, national_id, CaseKind.medical)
        with pytest.raises(Forbidden, match="find_fit"):  # only the medical board finds a category
            transitions.transition(uow, medical, "find_fit", reason="x")


def test_the_documentation_lists_every_transition_of_every_machine_with_its_roles():
    import pathlib
    import re

    from callup.military_service.machines import SERVICE, SERVICE_ROLES

    text = (pathlib.Path(__file__).resolve().parents[2] / "docs" / "cases.md").read_text()
    documented = set(re.findall(r"^\| (\w+) \| (\w+) \| (\w+) \| ([\w, ]+) \|$", text, re.M))
    declared = set()
    for machine, roles in [*((m, ROLES) for m in MACHINES.values()), (SERVICE, SERVICE_ROLES)]:
        for state, step, nxt in machine.paths():
            declared.add((state, step, nxt, ", ".join(sorted(r.value for r in roles[step]))))
    assert documented - {("from", "step", "to", "who")} == declared


class _RandomSteps(RuleBasedStateMachine):
    """Random steps through `transition` on the store: a declared step moves the case and adds one stored, audited
    transition; any other is refused and changes nothing."""

    day = engine = None  # set per test
    person = region = None

    @initialize(kind=st.sampled_from(list(CaseKind)))
    def open_one(self, kind: CaseKind) -> None:
        self.kind = kind
        with UnitOfWork(_actor_for(self.day, opening_step(kind), self.region)) as uow:
            self.case_id = transitions.open_case(uow, CAMPAIGN, self.person, kind, reason="r")["id"]
        self.state, self.taken = EXPECTED[kind][(NEW, opening_step(kind))], 1

    @rule(step=st.sampled_from(ALL_STEPS))
    def take(self, step: str) -> None:
        before, declared = len(audit.entries(self.engine)), (self.state, step) in EXPECTED[self.kind]
        with UnitOfWork(_actor_for(self.day, step, self.region)) as uow:
            case = transitions.load(uow, self.case_id, lock=True)
            if declared:
                after = transitions.transition(uow, case, step, reason="random")["state"]
                assert after == EXPECTED[self.kind][(self.state, step)]
                self.state, self.taken = after, self.taken + 1
            else:
                with pytest.raises(CaseStateError):
                    transitions.transition(uow, case, step, reason="random")
        assert len(audit.entries(self.engine)) == before + declared  # one entry per step taken, none for a refusal

    def _stored(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(CaseTransition.__table__)
                                .where(CaseTransition.__table__.c.case_id == self.case_id)).scalar_one()

    @invariant()
    def stored_state_and_history_agree(self) -> None:
        with self.engine.connect() as conn:
            state = conn.execute(select(Case.__table__.c.state).where(Case.__table__.c.id == self.case_id)).scalar_one()
        assert state == self.state and self._stored() == self.taken


def test_random_step_sequences_on_the_store_follow_the_tables(ctx, engine, tmp_path):
    day = drawn_campaign(ctx, tmp_path)
    national_id, region = called(day)[0]
    machine = type("RandomSteps", (_RandomSteps,), {"day": day, "engine": engine, "person": national_id, "region": region})
    run_state_machine_as_test(machine, settings=settings(max_examples=15, stateful_step_count=10, deadline=None,
                                                         derandomize=True, suppress_health_check=list(HealthCheck)))
