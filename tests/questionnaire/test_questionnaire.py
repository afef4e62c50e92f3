"""The self-declaration questionnaire: who it goes to, answering and sending, who reads the answers, what they do."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from questionnaire_helpers import COHORT, FULL, ROUND, SENT_ON, answer_all, citizen, on, person, register, sent
from sqlalchemy import insert, select, text

from callup.audit.chain import entries
from callup.errors import Forbidden, NotFound, StateError
from callup.questionnaire import service
from callup.questionnaire.tables import QuestionnaireRecipient
from callup.register.tables import Person
from callup.uow import UnitOfWork
from callup_test_support import REPO, make_context, run_cli

pytestmark = pytest.mark.db


def _recipients(ctx) -> dict[str, str]:  # noqa: ANN001
    with UnitOfWork(ctx, write=False) as uow:
        return dict(uow.execute(text("SELECT national_id, reference FROM questionnaire_recipients")).tuples().all())


def test_the_questionnaire_goes_to_the_cohort_the_policy_names_and_nobody_twice(ctx):
    first = sent(ctx)
    assert (first.round, first.sent, first.born_from, first.born_to) == (ROUND, 4, dt.date(2009, 1, 1), dt.date(2009, 12, 31))
    assert first.deadline == SENT_ON + dt.timedelta(days=30)
    assert set(_recipients(ctx)) == set(COHORT)  # not the older, younger, woman, emigrant or foreign citizen
    again = service.send_questionnaire(on(ctx))
    assert (again.sent, again.recipients) == (0, 4)
    with UnitOfWork(ctx) as uow:  # registered since: the next run sends to them alone
        uow.execute(insert(Person.__table__), [person("1005", "R03", dt.date(2009, 3, 3))])
    later = service.send_questionnaire(on(ctx, SENT_ON + dt.timedelta(days=5)), name=ROUND)
    assert (later.sent, later.recipients) == (1, 5)


def test_a_policy_without_a_questionnaire_sends_none(ctx):
    northland = make_context(ctx.database_url, now="2027-02-01", policy=REPO / "examples" / "policies" / "kingdom-of-northland.toml")
    with pytest.raises(StateError, match="sends no questionnaire"):
        service.send_questionnaire(northland)


def test_answers_are_saved_as_they_go_kept_encrypted_and_sent_once(ctx):
    sent(ctx)
    me = citizen(ctx, "1001")
    with UnitOfWork(me) as uow:
        service.save_answer(uow, "condition", "yes")
        service.save_answer(uow, "study_place", "Example University")
    with UnitOfWork(me, write=False) as uow:  # a later visit resumes where they stopped
        mine = service.my_questionnaire(uow)
    assert mine.answers == {"condition": "yes", "study_place": "Example University"}
    assert mine.first_unanswered() == "occupation" and mine.submitted_at is None
    with UnitOfWork(me) as uow, pytest.raises(service.AnswerInvalid) as refused:
        service.submit_answers(uow)
    assert (refused.value.field, refused.value.message) == ("occupation", service.UNANSWERED)
    receipt = answer_all(ctx, "1001", {"occupation": "study", "study_until": "30 6 2030", "prior_service": "no"})
    assert receipt.reference == _recipients(ctx)["1001"] and receipt.channel == "portal"
    assert receipt.routes == ["deferral_check", "medical_preassessment"]
    with UnitOfWork(me) as uow, pytest.raises(StateError):
        service.save_answer(uow, "condition", "no")
    with UnitOfWork(ctx, write=False) as uow:
        stored = " ".join(str(v) for row in uow.execute(text(
            "SELECT a.answers, r.detail FROM questionnaire_answers a JOIN questionnaire_routes r "
            "ON r.recipient_id = a.recipient_id")) for v in row)
    assert "Example University" not in stored and "2030-06-30" not in stored and stored.startswith("v1:")


def test_a_mandatory_question_needs_an_answer_and_an_optional_one_can_be_passed_over(ctx):
    sent(ctx)
    me = citizen(ctx, "1002")
    with UnitOfWork(me) as uow, pytest.raises(service.AnswerInvalid) as refused:
        service.save_answer(uow, "condition", "")
    assert refused.value.message == service.NEEDED
    with UnitOfWork(me) as uow:
        mine = service.save_answer(uow, "study_place", "  ")
    assert mine.answers == {"study_place": ""} and mine.first_unanswered() == "condition"


def test_only_the_readers_the_policy_names_read_answers_and_every_read_is_audited(ctx):
    sent(ctx)
    answer_all(ctx, "1003", dict(FULL, condition="yes"))
    with UnitOfWork(ctx) as uow, pytest.raises(Forbidden, match="officer, medical"):
        service.read_answers(uow, "1003")  # an administrator is not among the Republic's readers
    with UnitOfWork(on(ctx, role="medical", regions="R01")) as uow, pytest.raises(NotFound):
        service.read_answers(uow, "1003")  # another region's person: not found, revealing nothing
    with UnitOfWork(on(ctx, role="medical", regions="R02")) as uow:
        (view,) = service.read_answers(uow, "1003", reason="pre-assessment")
        listed = service.routed(uow, ROUND, "medical_preassessment")
    assert dict((qid, given) for qid, _, given in view.answers)["condition"] == "yes"
    assert [p.national_id for p in listed] == ["1003"]
    reads = [e for e in entries(ctx.engine(), person_id="1003") if e.action == "questionnaire.read"]
    assert [(e.role, e.reason) for e in reads] == [("medical", "pre-assessment"), ("medical", None)]


def test_a_paper_form_keyed_by_an_officer_counts_as_answered_on_paper(ctx):
    sent(ctx)
    reference = _recipients(ctx)["1004"]
    with UnitOfWork(on(ctx, role="officer", regions="R01")) as uow, pytest.raises(NotFound):
        service.key_answers(uow, reference, FULL)  # a form of another region
    with UnitOfWork(on(ctx, role="officer", regions="R02")) as uow:
        receipt = service.key_answers(uow, reference, FULL)
    assert receipt.channel == "paper" and receipt.routes == []
    with UnitOfWork(on(ctx, role="officer", regions="R02")) as uow, pytest.raises(StateError):
        service.key_answers(uow, reference, FULL)
    with UnitOfWork(ctx, write=False) as uow:
        report = service.status(uow, ROUND)
    by_region = {r.region: r for r in report.regions}
    assert (by_region["R02"].sent, by_region["R02"].answered, by_region["R02"].on_paper) == (2, 1, 1)
    assert by_region["R02"].rate == 0.5 and report.rate == 0.25


def test_remind_lists_only_those_who_have_not_sent_their_answers(ctx):
    sent(ctx)
    answer_all(ctx, "1001", FULL)
    with UnitOfWork(citizen(ctx, "1002")) as uow:
        service.save_answer(uow, "condition", "no")  # started, not sent: still reminded
    with UnitOfWork(ctx) as uow:
        reminded = service.remind(uow, ROUND)
    assert sorted(p.national_id for p in reminded.people) == ["1002", "1003", "1004"]
    with UnitOfWork(ctx, write=False) as uow:
        report = service.status(uow, ROUND)
    assert sum(r.reminded for r in report.regions) == 3 and sum(r.started for r in report.regions) == 1


def test_the_letters_code_signs_in_until_it_expires(ctx):
    sent(ctx)
    reference = _recipients(ctx)["1001"]
    with UnitOfWork(ctx, write=False) as uow:
        code = uow.execute(select(QuestionnaireRecipient.__table__.c.code).where(
            QuestionnaireRecipient.__table__.c.reference == reference)).scalar_one()
        assert service.check_sign_in(uow, reference.lower().replace("-", " "), code) == "1001"
        assert service.check_sign_in(uow, reference, "AAAA-AAAA") is None
        assert service.check_sign_in(uow, "not a reference", code) is None
    with UnitOfWork(on(ctx, SENT_ON + dt.timedelta(days=181)), write=False) as uow:
        assert service.check_sign_in(uow, reference, code) is None


def test_the_commands_send_and_report_by_region(ctx, monkeypatch):
    register(ctx)
    monkeypatch.setenv("CALLUP_NOW", "2027-02-01T09:00:00Z")
    code, out, err, _ = run_cli(["questionnaire", "send", "--json"])
    assert code == 0, err
    assert json.loads(out)["sent"] == 4
    code, out, err, _ = run_cli(["questionnaire", "status", ROUND, "--json"])
    assert code == 0, err
    assert {r["region"]: r["sent"] for r in json.loads(out)["regions"]} == {"R01": 2, "R02": 2}
    code, out, err, _ = run_cli(["questionnaire", "key", _recipients(ctx)["1001"], "--answer", "condition=maybe"])
    assert code == 2 and "question condition: Choose yes or no." in err and "1001" not in err



def test_retention_erases_a_rounds_answers_past_the_months_the_policy_keeps_them(ctx):
    from callup.retention.service import apply_retention

    sent(ctx)
    answer_all(ctx, "1001", dict(FULL, condition="yes"))
    kept = SENT_ON + dt.timedelta(days=30 + 700)  # within 24 months of the deadline
    assert {c.name: c.due for c in apply_retention(on(ctx, kept), kept, dry_run=True).categories}["questionnaire"] == 0
    past = dt.date(2029, 3, 10)  # the deadline (2027-03-03) and 24 months are over; the cohort is still liable
    report = apply_retention(on(ctx, past), past)
    assert {c.name: c.erased for c in report.categories} == {"register": 0, "notes": 0, "medical": 0, "audit": 0,
                                                             "questionnaire": 4}
    with UnitOfWork(ctx, write=False) as uow:
        left = [uow.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                for t in ("questionnaire_recipients", "questionnaire_answers", "questionnaire_routes", "people")]
    assert left == [0, 0, 0, 9]


def test_answers_recorded_in_bulk_are_checked_counted_once_and_shown_in_the_campaign_report(ctx):
    from callup.reports.campaign import questionnaire_section
    from callup.simulation.questionnaire import simulate_answers

    sent(ctx)
    refs = _recipients(ctx)
    with pytest.raises(service.AnswerInvalid):
        service.record_answers(on(ctx), ROUND, [(refs["1002"], dict(FULL, condition="perhaps"), "paper")])
    batch = [(refs["1001"], dict(FULL, condition="yes"), "paper"), (refs["1003"], FULL, "portal")]
    assert service.record_answers(on(ctx), ROUND, batch) == 2
    assert service.record_answers(on(ctx), ROUND, batch) == 0  # a rerun adds nothing
    version = ctx.policy().in_force(SENT_ON)
    with UnitOfWork(ctx, write=False) as uow:
        section = questionnaire_section(uow, version, dt.date(2027, 4, 1))
    assert (section.round, section.sent, section.answered) == (ROUND, 4, 2)
    assert {r.region: (r.sent, r.answered, r.on_paper) for r in section.regions} == {"R01": (2, 1, 1), "R02": (2, 1, 0)}
    assert section.routes == {"medical pre-assessment": 1} and section.leave_out_of_pool == ["medical pre-assessment"]
    with UnitOfWork(ctx, write=False) as uow:  # a campaign before the round was sent has no section
        assert questionnaire_section(uow, version, SENT_ON - dt.timedelta(days=1)) is None
    simulated = simulate_answers(on(ctx), ROUND, seed=3, rate=1.0)
    assert (simulated.waiting, simulated.answered) == (2, 2)
    with UnitOfWork(ctx, write=False) as uow:
        assert service.status(uow, ROUND).answered == 4


def test_the_daily_reminders_remind_those_who_have_not_answered_before_the_deadline_and_drop_it_once_they_do(ctx):
    from sqlalchemy import update

    from callup.notices import reminders
    from callup.notices.tables import Reminder

    sent(ctx)
    with UnitOfWork(ctx) as uow:
        uow.execute(update(Person.__table__).where(Person.__table__.c.national_id.in_(["1001", "1002"]))
                    .values(email="someone@example.org"))
    answer_all(ctx, "1001", FULL)
    deadline = SENT_ON + dt.timedelta(days=30)
    with UnitOfWork(on(ctx, deadline - dt.timedelta(days=10))) as uow:
        assert "questionnaire" not in reminders.plan(uow, deadline - dt.timedelta(days=10))  # not yet
    day = deadline - dt.timedelta(days=2)
    with UnitOfWork(on(ctx, day)) as uow:
        assert reminders.plan(uow, day) == {"questionnaire": 1}  # 1002: not answered, has an address (1001 answered)
        row = uow.execute(select(Reminder.__table__)).mappings().one()
        subject, body = reminders.render(row["kind"], row["language"], json.loads(row["params"]), channel="email")
    assert row["national_id"] == "1002" and "self-declaration" in subject and "1002" not in body
    answer_all(ctx, "1002", FULL)
    with UnitOfWork(on(ctx, day)) as uow:
        assert reminders._overtaken(uow, row) == "the self-declaration was answered"  # so it is not sent
