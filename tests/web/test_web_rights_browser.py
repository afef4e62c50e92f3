"""A citizen walks each right the letter names in a real Chromium on a 390 px phone, in English and in
Russian: the panel with the deadlines, the page before the summons opens, the start page, each question
(an error summary with the answer kept), check your answers and the confirmation. Every page state is
checked with axe-core (no violation at all) and for sideways scrolling at 320 px, and photographed at
390 and 1280 px when $CALLUP_SCREENSHOTS names a folder.

Uses `callup serve` and Chromium as `test_web_browser` does (its fixtures)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from test_web_browser import _citizen_signs_in

from web_support import ISSUE_DAY, NEEDS_CHROMIUM, checked_context, violations

pytestmark = [pytest.mark.db, NEEDS_CHROMIUM]

WORDS = {
    "en": {"todo": "What you need to do", "before": "Before you open your summons", "deadlines": "The deadlines it sets",
           "start": "Start now", "problem": "There is a problem", "error": "Error:", "check": "Check your answers before sending",
           "sent": ("Application sent", "Appeal sent"), "case": "Your case number", "next": "What happens next",
           "decides": "The office decides by", "left": "days left"},
    "ru": {"todo": "Что нужно сделать", "before": "Прежде чем открыть повестку", "deadlines": "Сроки по повестке",
           "start": "Начать", "problem": "Есть ошибка", "error": "Ошибка:", "check": "Проверьте ответы перед отправкой",
           "sent": ("Заявление отправлено", "Жалоба отправлена"), "case": "Номер вашего дела", "next": "Что будет дальше",
           "decides": "Учреждение примет решение до", "left": "осталось"},
}
#: The answers of each right, page by page: (field, value) filled before "Continue".
ANSWERS = {
    "deferral": [("ground", "children"), ("evidence", "birth certificates 4/2026")],
    "exemption": [("ground", "prior_service"), ("evidence", "service record SR-77")],
    "civilian_service": [("statement", "My conscience does not allow me to bear arms or to train to use them.")],
    "appeal": [("reason", "I am not liable: I have lived abroad since 2020 and gave up the citizenship.")],
}


def _fill(page, field: str, value: str) -> None:  # noqa: ANN001
    if field == "ground":
        page.locator(f'input[name="ground"][value="{value}"]').check()
    else:
        page.locator(f'[name="{field}"]').fill(value)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_citizen_walks_each_right_on_a_phone_with_the_deadlines_check_your_answers_and_a_confirmation(served, browser, shots,
                                                                                                      lang):
    site, base = served
    words = WORDS[lang]
    problems: list[str] = []
    first = 60 if lang == "en" else 70
    for n, code in enumerate(ANSWERS):
        citizen = site.citizens[first + n]
        context = checked_context(browser, viewport={"width": 390, "height": 844})
        page = context.new_page()

        def check(name: str, page=page, code=code) -> None:  # noqa: ANN001
            found = violations(page)
            shots(page, f"rights-{lang}-{code}-{name}-390")
            problems.extend(f"{lang} {code} {name}: {v}" for v in found)
            if shots:  # the same state on a desktop, to look at
                page.set_viewport_size({"width": 1280, "height": 900})
                shots(page, f"rights-{lang}-{code}-{name}-1280")
            page.set_viewport_size({"width": 320, "height": 640})
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > 320:
                problems.append(f"{lang} {code} {name} at 320px scrolls sideways ({wide}px)")
            page.set_viewport_size({"width": 390, "height": 844})

        _citizen_signs_in(page, base, citizen)
        page.goto(f"{base}/lang/{lang}?next=/portal")
        panel = page.locator("section.todo")
        expect(panel.get_by_role("heading", name=words["todo"])).to_be_visible()
        assert words["left"] in panel.inner_text()
        check("status")
        if code == "deferral":  # once per language: the page before the summons opens
            panel.locator(f'a[href="/portal/summons/{citizen.reference}"]').click()
            expect(page.get_by_role("heading", name=words["before"], level=1)).to_be_visible()
            expect(page.get_by_role("heading", name=words["deadlines"])).to_be_visible()
            check("before-opening")
            page.locator(f'form[action="/portal/summons/{citizen.reference}/open"] button').click()
            page.wait_for_url(f"{base}/portal/summons/{citizen.reference}")
            check("summons")
            page.goto(f"{base}/portal")
        panel = page.locator("section.todo")
        panel.locator(f'a[href="/portal/rights/{code}"]').click()
        page.wait_for_url(f"{base}/portal/rights/{code}")
        assert words["left"] in page.locator("main").inner_text()
        check("start")
        page.get_by_role("link", name=words["start"]).click()
        for i, (field, value) in enumerate(ANSWERS[code]):
            if i == 0:  # each journey's first question is answered wrongly first: nothing, or far too long
                if field in ("statement", "reason"):
                    wrong = "x" * 2100
                    _fill(page, field, wrong)
                else:
                    wrong = ""
                page.locator('button[value="continue"]').click()
                summary = page.get_by_role("alert")
                expect(summary.get_by_text(words["problem"])).to_be_visible()  # waits for the answer to the click
                expect(page).to_have_title(re.compile("^" + re.escape(words["error"])))
                if wrong:
                    assert page.locator(f'[name="{field}"]').input_value() == wrong  # what was typed is kept
                summary.get_by_role("link").click()
                assert page.evaluate("location.hash") == f"#{field}"
                check(f"{field}-error")
            _fill(page, field, value)
            check(f"{field}")
            page.locator('button[value="continue"]').click()
        expect(page.get_by_role("heading", name=words["check"], level=1)).to_be_visible()
        for field, value in ANSWERS[code]:
            if field != "ground":
                assert value in page.locator("main").inner_text()
        if code == "deferral":  # a changed answer is kept on its page and comes back to the check page
            page.locator('button[value="change-ground"]').click()
            assert page.locator('input[name="ground"][value="children"]').is_checked()
            page.locator('button[value="continue"]').click()
            assert page.locator('[name="evidence"]').input_value() == ANSWERS["deferral"][1][1]
            page.locator('button[value="continue"]').click()
        check("check-answers")
        page.locator('button[value="send"]').click()
        page.wait_for_url(f"**/portal/rights/{code}/sent/**")
        case_id = page.url.rsplit("/", 1)[1]
        done = page.locator("main").inner_text()
        assert any(w in done for w in words["sent"]) and words["case"] in done and case_id in done
        assert words["next"] in done and words["decides"] in done
        check("confirmation")
        page.goto(f"{base}/portal")
        assert page.locator(f'section.todo a[href="/portal/rights/{code}"]').count() == 0  # used: no longer offered
        context.close()
    assert not problems, "\n".join(problems)
    assert ISSUE_DAY  # the site's clock: deadlines counted from its day
