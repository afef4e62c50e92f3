"""A citizen answers the self-declaration in a real browser on a 390 px phone, in English and in Russian: one
question a page, an error shown in the summary and beside the question with the typed values kept, check your
answers, the confirmation. axe-core finds no violation on any of its pages, and none scrolls sideways."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from callup.questionnaire import service
from callup.questionnaire.tables import QuestionnaireRecipient
from callup.uow import UnitOfWork
from web_support import NEEDS_CHROMIUM, checked_context, violations

pytestmark = [pytest.mark.db, NEEDS_CHROMIUM]

ANSWERS = {
    "en": {"condition": "No", "occupation": "I study full time", "study_place": "Example University", "prior": "No",
           "continue": "Continue", "send": "Send my answers", "sent": "Your answers were sent", "problem": "There is a problem",
           "date_error": "Enter a real date", "day": "Day", "month": "Month", "year": "Year", "sign_in": "Sign in",
           "reference": "Reference of the summons", "code": "Sign-in code", "start": "Start now"},
    "ru": {"condition": "Нет", "occupation": "Учусь на очном отделении", "study_place": "Пример университет", "prior": "Нет",
           "continue": "Продолжить", "send": "Отправить ответы", "sent": "Ваши ответы отправлены", "problem": "There is a problem",
           "date_error": "Введите существующую дату", "day": "День", "month": "Месяц", "year": "Год", "sign_in": "Войти",
           "reference": "Номер повестки", "code": "Код для входа", "start": "Начать"},
}


def _letters(site):  # noqa: ANN001, ANN202
    service.send_questionnaire(site.admin)
    t = QuestionnaireRecipient.__table__
    with UnitOfWork(site.admin, write=False) as uow:
        return [tuple(r) for r in uow.execute(select(t.c.national_id, t.c.reference, t.c.code).order_by(t.c.id))]


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_citizen_answers_the_self_declaration_on_a_phone(served, browser, shots, lang):
    site, base = served
    letters = _letters(site)
    _, reference, code = letters[0 if lang == "en" else 1]
    words = ANSWERS[lang]
    context = checked_context(browser, viewport={"width": 390, "height": 844})
    page = context.new_page()
    problems: list[str] = []

    def check(name: str) -> None:
        shots(page, f"questionnaire-{lang}-{name}")
        wide = page.evaluate("document.documentElement.scrollWidth")
        if wide > page.viewport_size["width"]:
            problems.append(f"{name}: scrolls sideways ({wide}px)")
        found = violations(page)
        problems.extend(f"{name}: {v}" for v in found)

    page.goto(f"{base}/lang/{lang}?next=/signin")
    page.get_by_label(words["reference"]).fill(reference)
    page.get_by_label(words["code"]).fill(code)
    page.get_by_role("button", name=words["sign_in"]).click()
    page.wait_for_url(f"{base}/portal")
    check("status")
    page.goto(f"{base}/portal/questionnaire")
    check("start")
    page.set_viewport_size({"width": 320, "height": 640})  # the narrowest phone WCAG's reflow asks for
    for path, name in (("/portal", "status-320"), ("/portal/questionnaire", "start-320"),
                       ("/portal/questionnaire/q/study_until", "date-320"), ("/portal/questionnaire/check", "check-320")):
        page.goto(base + path)
        check(name)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/portal/questionnaire")
    page.get_by_role("link", name=words["start"]).click()
    page.get_by_role("button", name=words["continue"]).click()  # nothing chosen: the error summary
    expect(page.locator(".error-summary")).to_be_visible()
    check("error")
    page.get_by_label(words["condition"], exact=True).check()
    page.get_by_role("button", name=words["continue"]).click()
    page.get_by_label(words["occupation"]).check()
    page.get_by_role("button", name=words["continue"]).click()
    page.locator("#study_place").fill(words["study_place"])
    check("text")
    page.get_by_role("button", name=words["continue"]).click()
    page.get_by_label(words["day"]).fill("31")
    page.get_by_label(words["month"]).fill("2")
    page.get_by_label(words["year"]).fill("2029")
    page.get_by_role("button", name=words["continue"]).click()
    assert words["date_error"] in page.locator(".error-summary").inner_text()
    assert page.get_by_label(words["day"]).input_value() == "31"  # kept
    check("date-error")
    page.get_by_label(words["day"]).fill("30")
    page.get_by_label(words["month"]).fill("6")
    page.get_by_role("button", name=words["continue"]).click()
    page.get_by_label(words["prior"], exact=True).check()
    page.get_by_role("button", name=words["continue"]).click()
    page.wait_for_url(f"{base}/portal/questionnaire/check")
    check("check")
    page.get_by_role("button", name=words["send"]).click()
    page.wait_for_url(f"{base}/portal/questionnaire/sent")
    assert words["sent"] in page.locator("h1").inner_text() and reference in page.inner_text("main")
    check("sent")
    page.set_viewport_size({"width": 320, "height": 640})
    check("sent-320")
    page.set_viewport_size({"width": 1280, "height": 900})
    check("sent-wide")
    context.close()
    assert not problems, "\n".join(problems)


def test_the_console_self_declaration_pages_have_no_accessibility_violation(served, browser, shots):
    """An officer keys a paper form (a wrong date first: the error summary, the values kept), the medical board opens
    its pre-assessment list and the person's answers; at 1280 and 320 px, in English and Russian."""
    from callup.web.accounts import add_user
    from web_support import PASSWORD, TOTP, session_cookie

    site, base = served
    letters = _letters(site)
    with UnitOfWork(site.admin, write=False) as uow:
        t = QuestionnaireRecipient.__table__
        regions = {ref: region for ref, region in uow.execute(select(t.c.reference, t.c.region))}
    national_id, reference, _ = letters[2]
    region = regions[reference]
    for role in ("officer", "medical"):
        name = f"{role}-q-{region}"
        if name not in site.users:
            with UnitOfWork(site.admin) as uow:
                add_user(uow, name, role=role, regions=region, password=PASSWORD, office=f"Office of {region}", totp_secret=TOTP)
            site.users[name] = {"role": role, "regions": region}
    problems: list[str] = []

    def open_as(role: str):  # noqa: ANN202
        context = checked_context(browser)
        context.add_cookies([{"name": "callup_session", "value": session_cookie(site, user=f"{role}-q-{region}"), "url": base}])
        return context, context.new_page()

    def check(page, name: str) -> None:  # noqa: ANN001
        width = page.viewport_size["width"]
        shots(page, f"console-questionnaire-{name}-{width}")
        wide = page.evaluate("document.documentElement.scrollWidth")
        if wide > width:
            problems.append(f"{name} at {width}px scrolls sideways ({wide}px)")
        problems.extend(f"{name} at {width}px: {v}" for v in violations(page))

    context, page = open_as("officer")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base}/console/questionnaire")
    check(page, "index")
    page.get_by_label("Reference printed on the form").fill(reference)
    page.get_by_role("button", name="Open the form").click()
    page.locator("#condition").check()  # yes
    page.locator("#occupation").check()  # study
    page.locator("#study_place").fill("Technical College")
    page.locator("#study_until").fill("31")
    page.locator("#study_until-month").fill("2")
    page.locator("#study_until-year").fill("2029")
    page.locator("#prior_service-no").check()
    page.get_by_role("button", name="Record and send the answers").click()
    expect(page.get_by_role("alert").get_by_text("There is a problem")).to_be_visible()
    assert page.locator("#study_place").input_value() == "Technical College"
    check(page, "form-error")
    page.locator("#study_until").fill("28")
    page.get_by_role("button", name="Record and send the answers").click()
    expect(page.get_by_text(f"The answers of form {reference} were recorded and sent.")).to_be_visible()
    for lang, width in (("en", 320), ("ru", 320)):
        page.set_viewport_size({"width": width, "height": 700})
        page.goto(f"{base}/lang/{lang}?next=/console/questionnaire")
        check(page, f"index-{lang}")
        page.goto(f"{base}/console/questionnaire/form?reference={reference}")
        check(page, f"form-sent-{lang}")
    context.close()
    context, page = open_as("medical")
    for lang, width in (("en", 1280), ("en", 320), ("ru", 320)):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"{base}/lang/{lang}?next=/console/questionnaire/routes/medical_preassessment")
        assert national_id in page.inner_text("main")
        check(page, f"routes-{lang}")
        page.goto(f"{base}/console/questionnaire/answers/{national_id}")
        check(page, f"answers-{lang}")
    context.close()
    assert not problems, "\n".join(problems)
