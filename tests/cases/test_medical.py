"""The medical board on both backends: categories from the policy, releases with replacements in the same
transaction, temporary categories back in a later pool, encrypted health details read only by the medical role."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from callup import audit
from callup.campaigns.tables import Call
from callup.cases import medical
from callup.cases.errors import CaseInputError, CaseNotFound, CaseStateError
from callup.errors import Forbidden
from callup.register.eligibility import eligible_pool_query
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


def _call(engine, national_id):  # noqa: ANN001, ANN202
    with engine.connect() as conn:
        return conn.execute(select(calls).where(calls.c.national_id == national_id)).mappings().first()


def _examined(day, national_id, region):  # noqa: ANN001, ANN202
    board = as_role(day, "medical", name="dr-board", regions=region)
    with UnitOfWork(as_role(day, "officer", regions=region)) as uow:
        case = medical.open_examination(uow, CAMPAIGN, national_id)
    return board, case


def test_a_fit_category_keeps_the_call_and_opens_the_appeal_window(ctx, engine, tmp_path):
    day = drawn_campaign(ctx, tmp_path)
    national_id, region = called(day)[0]
    board, case = _examined(day, national_id, region)
    with UnitOfWork(board) as uow:
        decision = medical.decide_fitness(uow, case.id, "A", details="no findings")
    assert (decision.case.state, decision.inductable, decision.released) == ("fit", True, False)
    assert decision.case.decision_reason == "category A: Fit for military service"
    assert decision.case.appeal_deadline == day.today() + dt.timedelta(days=30)
    assert _call(engine, national_id)["release_reason"] is None


def test_a_category_the_policy_does_not_induct_ends_the_call_and_calls_the_next_in_reserve_at_once(ctx, engine, tmp_path):
    day = drawn_campaign(ctx, tmp_path)
    national_id, region = called(day)[0]
    board, case = _examined(day, national_id, region)
    before = {n for n, _ in called(day, region=region)}
    with UnitOfWork(board) as uow:
        decision = medical.decide_fitness(uow, case.id, "D", details="chronic condition X")
    assert decision.case.state == "unfit" and decision.released and decision.replacement
    assert _call(engine, national_id)["release_reason"].value == "unfit"
    replacement = _call(engine, decision.replacement)
    assert replacement["replaces"] == national_id and replacement["region"] == region
    assert {n for n, _ in called(day, region=region)} == before - {national_id} | {decision.replacement}
    step = decision.case.history[-1]
    assert {k: step.effect[k] for k in ("release", "replacement")} == {"release": "unfit", "replacement": decision.replacement}
    log = audit.entries(engine)
    tail = [e.action for e in log[-3:]]
    assert tail == ["campaign.call", "campaign.release", "case.step"]  # one transaction, one run of the chain
    assert {e.actor for e in log[-3:]} == {"dr-board"}
    with UnitOfWork(board) as uow:  # a second category for the same decision is refused and releases nobody
        with pytest.raises(CaseStateError, match=f"case {case.id} \\(medical\\) is unfit: cannot find_fit"):
            medical.decide_fitness(uow, case.id, "A")
    assert len(audit.entries(engine)) == len(log)


def test_a_temporary_category_returns_the_person_to_a_later_pool_after_the_re_examination_date(ctx, engine, tmp_path):
    day = drawn_campaign(ctx, tmp_path)
    national_id, region = called(day)[0]
    board, case = _examined(day, national_id, region)
    with UnitOfWork(board) as uow:
        with pytest.raises(CaseInputError, match="at most 12 months"):
            medical.decide_fitness(uow, case.id, "G", reexamine_on=day.today() + dt.timedelta(days=400))
        with pytest.raises(CaseInputError, match="category G is temporary: give the re-examination date") as missing:
            medical.decide_fitness(uow, case.id, "G")
        assert missing.value.field == "reexamine_on"
        with pytest.raises(CaseInputError, match="not temporary"):
            medical.decide_fitness(uow, case.id, "D", reexamine_on=day.today() + dt.timedelta(days=40))
        with pytest.raises(CaseInputError, match="not one of the policy's: A, B, V, G, D"):
            medical.decide_fitness(uow, case.id, "Z")
        decision = medical.decide_fitness(uow, case.id, "G", reexamine_on=dt.date(2027, 10, 1))
    assert (decision.case.state, decision.case.until, decision.released) == ("temporarily_unfit", dt.date(2027, 10, 1), True)
    version = day.policy().in_force(day.today())

    def in_pool(on: dt.date) -> bool:
        with engine.connect() as conn:
            ids = {r.national_id for r in conn.execute(eligible_pool_query(version, on))}
        return national_id in ids

    assert not in_pool(dt.date(2027, 10, 1)) and in_pool(dt.date(2027, 10, 2))  # back in the pool after the date


def test_health_details_are_encrypted_and_read_only_by_the_medical_role_every_read_audited(ctx, engine, tmp_path):
    day = drawn_campaign(ctx, tmp_path)
    national_id, region = called(day)[0]
    board, case = _examined(day, national_id, region)
    with UnitOfWork(board) as uow:
        medical.decide_fitness(uow, case.id, "B", details="mild asthma, inhaler")
    with engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT details FROM medical_findings").scalar_one()
    assert "asthma" not in stored and stored.startswith("v1:")
    for role, regions in (("officer", region), ("administrator", None), ("auditor", None)):
        with UnitOfWork(as_role(day, role, regions=regions)) as uow:
            with pytest.raises(Forbidden, match="health details needs the role medical"):
                medical.read_findings(uow, case.id)
    with UnitOfWork(board) as uow:
        found = medical.read_findings(uow, case.id, reason="appeal review")
    assert [(f.category, f.details, f.recorded_by) for f in found] == [("B", "mild asthma, inhaler", "dr-board")]
    reads = audit.entries(engine, action="medical.read")
    assert [(e.actor, e.role, e.reason, e.details["case"]) for e in reads] == [("dr-board", "medical", "appeal review", case.id)]
    assert "asthma" not in str([e.details for e in audit.entries(engine)])
    other = next(r for _, r in called(day) if r != region)
    with UnitOfWork(as_role(day, "medical", regions=other)) as uow:  # another region's board sees nothing
        with pytest.raises(CaseNotFound):
            medical.read_findings(uow, case.id)
        with pytest.raises(CaseNotFound):
            medical.decide_fitness(uow, case.id, "A")


def test_only_a_live_call_is_examined_and_only_once_at_a_time(ctx, engine, tmp_path):
    day = drawn_campaign(ctx, tmp_path)
    national_id, region = called(day)[0]
    board, case = _examined(day, national_id, region)
    with UnitOfWork(day) as uow:
        with pytest.raises(CaseStateError, match="already has an open medical case"):
            medical.open_examination(uow, CAMPAIGN, national_id)
    with UnitOfWork(board) as uow:
        medical.decide_fitness(uow, case.id, "D")
    with UnitOfWork(day) as uow:
        with pytest.raises(CaseStateError, match="call .* has ended"):
            medical.open_examination(uow, CAMPAIGN, national_id)


def _opened(engine):  # noqa: ANN001, ANN202
    """Each medical case as the person's record shows it, without ids and times: who, state, how opened, its history."""
    from callup.cases.tables import Case, CaseTransition

    cases, history = Case.__table__, CaseTransition.__table__
    with engine.connect() as conn:
        steps = {r.case_id: (r.seq, r.from_state, r.step, r.to_state, r.actor, r.role)
                 for r in conn.execute(select(history))}
        return sorted((r.national_id, r.region, r.state, r.opened_by, r.opened_role, r.version, r.policy_version, steps[r.id])
                      for r in conn.execute(select(cases)))


def test_a_day_s_examinations_opened_together_are_those_opened_one_by_one(ctx, engine, twin, tmp_path):
    """The board's day list opens its cases in a few statements: each case, its history and its audit entry are what
    opening it alone gives."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    together = drawn_campaign(same_randomness(ctx), tmp_path / "a")
    alone = drawn_campaign(same_randomness(twin), tmp_path / "b")
    people = [n for n, _ in called(together)[:6]]
    with UnitOfWork(together) as uow:
        views = medical.open_examinations(uow, CAMPAIGN, people)
    for national_id in people:
        with UnitOfWork(alone) as uow:
            medical.open_examination(uow, CAMPAIGN, national_id)
    assert [v.national_id for v in views] == people and {v.state for v in views} == {"open"}
    assert all(len(v.history) == 1 for v in views)
    assert _opened(engine) == _opened(alone.engine()) and len(_opened(engine)) == 6
    entries = [(e.target, e.details["step"], e.details["seq"]) for e in audit.entries(engine, action="case.step")]
    assert entries == [(e.target, e.details["step"], e.details["seq"]) for e in audit.entries(alone.engine(), action="case.step")]


def test_a_day_s_examinations_open_all_or_none(ctx, engine, tmp_path):
    day = drawn_campaign(ctx, tmp_path)
    people = [n for n, _ in called(day)[:3]]
    with UnitOfWork(day) as uow:
        medical.open_examination(uow, CAMPAIGN, people[1])
    with UnitOfWork(day) as uow, pytest.raises(CaseStateError, match="already has an open medical case"):
        medical.open_examinations(uow, CAMPAIGN, people)
    with UnitOfWork(day) as uow, pytest.raises(CaseNotFound, match="not called"):
        medical.open_examinations(uow, CAMPAIGN, [people[0], "NOT-CALLED-1"])
    with engine.connect() as conn:
        from callup.cases.tables import Case

        assert conn.execute(select(Case.__table__.c.national_id)).scalars().all() == [people[1]]


#: A sitting's categories, in the list's order: fit, unfit, temporary and limited among one another, so that the
#: calls they end are released and replaced in the list's order whatever their category.
SITTING = [("A", None), ("D", None), ("B", None), ("G", dt.date(2027, 9, 1)), ("V", None), ("D", None), ("A", None)]


def test_a_sitting_s_findings_recorded_together_are_those_recorded_one_by_one(ctx, engine, twin, tmp_path):
    """A sitting's list, each with its own category, in a few statements: cases, histories, audit entries, calls and
    their replacements (in the list's order) as deciding each alone gives."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    together = drawn_campaign(same_randomness(ctx), tmp_path / "a")
    alone = drawn_campaign(same_randomness(twin), tmp_path / "b")
    people = [n for n, _ in called(together, region=most_called_region(together))[:len(SITTING)]]
    ids = []
    for day in (together, alone):
        with UnitOfWork(day) as uow:
            ids.append([v.id for v in medical.open_examinations(uow, CAMPAIGN, people)])
    board = "dr-board"
    with UnitOfWork(as_role(together, "medical", name=board)) as uow:
        decided = medical.decide_fitness_each(uow, [medical.Finding(case_id, code, until)
                                                    for case_id, (code, until) in zip(ids[0], SITTING, strict=True)],
                                              details="no findings")
    for case_id, (code, until) in zip(ids[1], SITTING, strict=True):
        with UnitOfWork(as_role(alone, "medical", name=board)) as uow:
            medical.decide_fitness(uow, case_id, code, details="no findings", reexamine_on=until)
    assert [d.category for d in decided] == [code for code, _ in SITTING]
    assert [d.inductable for d in decided] == [code in "AB" for code, _ in SITTING]
    assert [bool(d.released and d.replacement) for d in decided] == [code not in "AB" for code, _ in SITTING]
    assert [d.case.state for d in decided] == ["fit", "unfit", "fit", "temporarily_unfit", "unfit", "unfit", "fit"]
    assert [len(d.case.history) for d in decided] == [2] * len(SITTING)
    assert decisions_left(engine) == decisions_left(alone.engine())
    assert case_steps(engine) == case_steps(alone.engine())


def test_a_sitting_s_list_is_decided_all_or_none(ctx, engine, tmp_path):
    day = drawn_campaign(ctx, tmp_path)
    people = [n for n, _ in called(day)[:3]]
    with UnitOfWork(day) as uow:
        ids = [v.id for v in medical.open_examinations(uow, CAMPAIGN, people)]
    board = as_role(day, "medical", name="dr-board")
    with UnitOfWork(board) as uow:
        medical.decide_fitness(uow, ids[1], "A")
    with UnitOfWork(board) as uow, pytest.raises(CaseStateError):
        medical.decide_fitness_each(uow, [medical.Finding(i, "D") for i in ids])  # the second was decided: nobody is released
    with UnitOfWork(board) as uow, pytest.raises(CaseInputError, match="decided once"):
        medical.decide_fitness_each(uow, [medical.Finding(ids[0], "A")] * 2)
    assert _call(engine, people[0])["release_reason"] is None and _call(engine, people[2])["release_reason"] is None
