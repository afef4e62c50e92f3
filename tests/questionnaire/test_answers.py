"""Answers a question can take: plain words for the ones it cannot (the portal translates these sentences)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings, strategies as st

from callup.questionnaire import service
from callup_test_support import REPO


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31)))
def test_a_date_answer_is_taken_as_day_month_year_or_iso_and_stored_iso(day):
    question = _question("study_until")
    assert service.check_answer(question, f"{day.day} {day.month} {day.year}") == day.isoformat()
    assert service.check_answer(question, day.isoformat()) == day.isoformat()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_a_yes_no_or_choice_question_takes_only_its_own_answers(value):
    for qid, allowed, message in (("condition", {"yes", "no"}, service.CHOOSE_YES_NO),
                                  ("occupation", {"study", "work", "neither"}, service.CHOOSE_ONE)):
        if value.strip() in allowed or not value.strip():
            assert service.check_answer(_question(qid), value) == value.strip()
        else:
            with pytest.raises(service.AnswerInvalid) as refused:
                service.check_answer(_question(qid), value)
            assert (refused.value.field, refused.value.message) == (qid, message)


def test_an_impossible_date_or_a_long_text_is_refused_in_plain_words():
    for value in ("31 2 2029", "30 13 2029", "tomorrow", "1 1 1800"):
        with pytest.raises(service.AnswerInvalid, match="Enter a real date"):
            service.check_answer(_question("study_until"), value)
    with pytest.raises(service.AnswerInvalid, match="at most 500"):
        service.check_answer(_question("study_place"), "x" * 501)


def _question(qid: str):  # noqa: ANN202
    from callup.policy import load_policy

    return load_policy(REPO / "examples" / "policies" / "republic-of-example.toml").versions[-1].questionnaire.question(qid)


ANSWERS = st.fixed_dictionaries({}, optional={
    "condition": st.sampled_from(["yes", "no", ""]), "occupation": st.sampled_from(["study", "work", "neither", ""]),
    "study_place": st.text(max_size=30), "study_until": st.sampled_from(["", "2029-06-30"]),
    "prior_service": st.sampled_from(["yes", "no", ""])})


@settings(max_examples=300, deadline=None)
@given(ANSWERS)
def test_an_answer_routes_only_as_the_policy_says_and_no_answer_routes_nobody(answers):
    from callup.policy import load_policy

    q = load_policy(REPO / "examples" / "policies" / "republic-of-example.toml").versions[-1].questionnaire
    taken = service.effects_of(q, answers)
    routes = {route for route, _, _, _ in taken}
    expected = ({"medical_preassessment"} if answers.get("condition") == "yes" else set()) | (
        {"deferral_check"} if answers.get("study_place") else set())
    assert routes == expected
    for route, ground, _, detail in taken:  # only the study place is copied, to pre-fill the check; never the health answer
        assert (ground, detail) == (("study", answers["study_place"]) if route == "deferral_check" else (None, None))
