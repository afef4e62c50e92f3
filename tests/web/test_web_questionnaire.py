"""The self-declaration on the portal: signing in with the questionnaire letter, one question a page with errors in
plain words (values kept), check your answers, the confirmation; in English and Russian."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from test_web_plain_words import _said, _vocabulary

from callup.questionnaire import service
from callup.questionnaire.tables import QuestionnaireRecipient
from callup.uow import UnitOfWork
from web_support import client, csrf_of

pytestmark = pytest.mark.db


@pytest.fixture(scope="module")
def letters(site):  # noqa: ANN001, ANN201
    """The questionnaire sent to the site's cohort: (national id, reference, code) of each letter."""
    service.send_questionnaire(site.admin)
    t = QuestionnaireRecipient.__table__
    with UnitOfWork(site.admin, write=False) as uow:
        return [tuple(r) for r in uow.execute(select(t.c.national_id, t.c.reference, t.c.code).order_by(t.c.id))]


def _signed_in(site, letter, lang: str = "en"):  # noqa: ANN001, ANN202
    c = client(site)
    c.cookies.set("callup_lang", lang)
    form = c.get("/signin")
    r = c.post("/signin", data={"csrf": csrf_of(form.text), "reference": letter[1], "code": letter[2], "next": ""})
    assert r.status_code == 303 and r.headers["location"] == "/portal", r.text[:500]
    return c


def _post(c, path: str, **data):  # noqa: ANN001, ANN003, ANN202
    page = c.get(path)
    return c.post(path, data={"csrf": csrf_of(page.text), **data})


def test_a_citizen_signs_in_with_the_letter_answers_one_question_a_page_and_gets_a_receipt(site, letters):
    c = _signed_in(site, letters[0])
    status = c.get("/portal")
    assert "Your self-declaration" in status.text and 'href="/portal/questionnaire"' in status.text
    start = c.get("/portal/questionnaire")
    assert "Start now" in start.text and letters[0][1] in start.text
    refused = _post(c, "/portal/questionnaire/q/condition")
    assert refused.status_code == 422
    assert "There is a problem" in refused.text and 'href="#condition"' in refused.text
    assert refused.text.count("Answer this question to go on.") == 2  # in the summary and beside the question
    r = _post(c, "/portal/questionnaire/q/condition", answer="yes")
    assert r.headers["location"] == "/portal/questionnaire/q/occupation"
    _post(c, "/portal/questionnaire/q/occupation", answer="study")
    _post(c, "/portal/questionnaire/q/study_place", answer="Example University")
    wrong = _post(c, "/portal/questionnaire/q/study_until", day="31", month="2", year="2029")
    assert wrong.status_code == 422 and "Enter a real date" in wrong.text
    assert 'value="31"' in wrong.text and 'value="2029"' in wrong.text  # what was typed is kept
    c2 = _signed_in(site, letters[0])  # a later visit: the answers so far are there, it resumes at the next question
    assert 'href="/portal/questionnaire/q/study_until"' in c2.get("/portal/questionnaire").text
    r = _post(c2, "/portal/questionnaire/q/study_until", day="30", month="6", year="2029")
    assert r.headers["location"] == "/portal/questionnaire/q/prior_service"
    check = c2.get("/portal/questionnaire/check")
    assert "Not answered yet" in check.text and "30 June 2029" in check.text and "I study full time" in check.text
    missing = c2.post("/portal/questionnaire/send", data={"csrf": csrf_of(check.text)})
    assert missing.status_code == 422 and 'href="/portal/questionnaire/q/prior_service?back=check"' in missing.text
    r = _post(c2, "/portal/questionnaire/q/prior_service?back=check", answer="no", back="check")
    assert r.headers["location"] == "/portal/questionnaire/check"
    check = c2.get("/portal/questionnaire/check")
    sent = c2.post("/portal/questionnaire/send", data={"csrf": csrf_of(check.text)})
    assert sent.headers["location"] == "/portal/questionnaire/sent"
    receipt = c2.get("/portal/questionnaire/sent")
    assert "Your answers were sent" in receipt.text and letters[0][1] in receipt.text
    assert "medical board looks at your case" in receipt.text and "checked against the list of enrolled" in receipt.text
    assert c2.get("/portal/questionnaire/q/condition").headers["location"] == "/portal/questionnaire"  # sent: no changes
    assert "Your self-declaration" not in c2.get("/portal").text


def test_the_questions_and_the_errors_are_in_russian_on_a_russian_page(site, letters):
    c = _signed_in(site, letters[1], lang="ru")
    page = c.get("/portal/questionnaire/q/condition")
    assert "Есть ли у вас хроническое заболевание" in page.text and "Да" in page.text
    refused = _post(c, "/portal/questionnaire/q/occupation", answer="sometimes")
    assert refused.status_code == 422 and "Выберите один из ответов." in refused.text
    vocabulary = _vocabulary()
    for path in ("/portal/questionnaire", "/portal/questionnaire/q/condition", "/portal/questionnaire/q/study_until",
                 "/portal/questionnaire/check"):
        said = _said(c.get(path).text, [letters[1][1]])
        english = {w for w in said.replace("/", " ").split() if w.strip(".,:;()«»").lower() in vocabulary}
        assert not english, (path, english)


def test_someone_without_a_questionnaire_is_told_so(site, letters):
    from web_support import signed_in

    outsider = next(c for c in site.citizens if c.national_id not in {n for n, _, _ in letters})
    page = signed_in(site, citizen=outsider).get("/portal/questionnaire")
    assert page.status_code == 200 and "No self-declaration has been sent to you." in page.text
