"""In a browser (Debian's Chromium, the site served by `callup serve`): the warning before a session ends shows
five minutes before, takes the focus, reads in the page's language, keeps the person on the page when they stay
signed in, and passes axe-core with no violation on 320 and 390 px phones, in English and Russian."""

from __future__ import annotations

import dataclasses
import time

import pytest

from callup.context import Actor, Role
from callup.uow import UnitOfWork
from callup.web import session_records
from callup.web.sessions import Sealer, for_actor
from web_support import NEEDS_CHROMIUM, checked_context, violations

pytestmark = [pytest.mark.db, NEEDS_CHROMIUM]


def _ending_in(site, cit, seconds: float) -> str:  # noqa: ANN001
    now = time.time()
    made = for_actor(Actor(name="citizen (portal)", role=Role.citizen, person_id=cit.national_id), reference=cit.reference,
                     now=now - 3600 + seconds)
    made = dataclasses.replace(made, expires=int(now + seconds))
    with UnitOfWork(site.admin) as uow:
        session_records.start(uow, made)
    return Sealer(site.keys).seal(made)


def test_the_warning_before_the_session_ends_on_phones_in_both_languages(served, browser, shots):
    site, base = served
    problems = []
    for width in (320, 390):
        for lang, stay in (("en", "Stay signed in"), ("ru", "Продлить сеанс")):
            context = checked_context(browser, viewport={"width": width, "height": 740})
            context.add_cookies([{"name": "callup_session", "value": _ending_in(site, site.citizens[11], 3600), "url": base},
                                 {"name": "callup_lang", "value": lang, "url": base}])
            page = context.new_page()
            page.clock.install(time=time.time())
            page.goto(f"{base}/portal/contact")
            assert page.get_by_role("alertdialog").is_hidden()  # an hour left: no warning
            page.clock.fast_forward(56 * 60 * 1000)  # the person stayed on the page, idle, for 56 minutes
            warning = page.get_by_role("alertdialog")
            warning.wait_for(state="visible")
            button = page.get_by_role("button", name=stay)
            assert button.evaluate("b => b === document.activeElement")  # the focus moves to the choice
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            found = violations(page)
            problems += [f"{width} {lang}: {v}" for v in found]
            shots(page, f"session-warning-{lang}-{width}")
            page.get_by_label("Email" if lang == "en" else "Электронная почта").fill("typed@example.org")
            page.clock.set_system_time(time.time())  # the server's clock is real: the browser's comes back to it
            button.click()
            warning.wait_for(state="hidden")
            assert page.get_by_label("Email" if lang == "en" else "Электронная почта").input_value() == "typed@example.org"
            context.close()
    assert not problems, problems


def test_the_page_says_when_the_session_has_ended(served, browser, shots):
    site, base = served
    context = browser.new_context(viewport={"width": 390, "height": 740})
    context.add_cookies([{"name": "callup_session", "value": _ending_in(site, site.citizens[12], 3600), "url": base},
                         {"name": "callup_lang", "value": "en", "url": base}])
    page = context.new_page()
    page.clock.install(time=time.time())
    page.goto(f"{base}/portal")
    page.clock.fast_forward(61 * 60 * 1000)  # idle past the end
    page.get_by_role("heading", name="You have been signed out").wait_for(state="visible", timeout=15000)
    assert page.get_by_role("button", name="Stay signed in").is_hidden()
    assert page.get_by_role("link", name="Sign in again").get_attribute("href") == "/signin?next=/portal"
    shots(page, "session-ended-en-390")
    context.close()


def test_moving_the_appointment_page_by_page_on_phones_in_both_languages(served, browser, shots):
    site, base = served
    cit = site.citizens[13]
    problems = []
    for width in (320, 390):
        for lang in ("en", "ru"):
            context = checked_context(browser, viewport={"width": width, "height": 740})
            context.add_cookies([{"name": "callup_session", "value": _ending_in(site, cit, 3600), "url": base},
                                 {"name": "callup_lang", "value": lang, "url": base}])
            page = context.new_page()
            move = f"{base}/portal/summons/{cit.reference}/move"
            page.goto(move + "?pick=day")  # nothing chosen: the error summary
            def check(name: str, page=page, width=width, lang=lang) -> None:  # noqa: ANN001
                found = violations(page)
                problems.extend(f"{name} {width} {lang}: {v}" for v in found)
                if page.evaluate("document.documentElement.scrollWidth") > width:
                    problems.append(f"{name} {width} {lang}: scrolls sideways")
                shots(page, f"move-{name}-{lang}-{width}")

            check("error")
            page.goto(move)
            check("day")
            page.get_by_role("radio").nth(1).check()
            with page.expect_navigation():  # the next page, loaded, before axe goes into it
                page.locator("main form button[type=submit]").click()
            check("time")
            page.get_by_role("radio").nth(0).check()
            with page.expect_navigation():
                page.locator("main form button[type=submit]").click()
            check("confirm")
            assert page.locator('form[method="post"] input[name="slot"]').count() == 1
            context.close()
    assert not problems, problems


def test_the_contact_form_s_error_on_phones_in_both_languages(served, browser, shots):
    site, base = served
    problems = []
    for width in (320, 390):
        for lang in ("en", "ru"):
            context = checked_context(browser, viewport={"width": width, "height": 740})
            context.add_cookies([{"name": "callup_session", "value": _ending_in(site, site.citizens[14], 3600), "url": base},
                                 {"name": "callup_lang", "value": lang, "url": base}])
            page = context.new_page()
            page.goto(f"{base}/portal/contact")
            page.locator("#email").fill("not an e-mail")
            page.locator("#email").evaluate("e => e.type = 'text'")  # past the browser's own check: the server's answers
            page.locator("main form button[type=submit]").first.click()
            page.locator(".error-summary").wait_for(state="visible")
            found = violations(page)
            problems += [f"{width} {lang}: {v}" for v in found]
            if page.evaluate("document.documentElement.scrollWidth") > width:
                problems.append(f"{width} {lang}: scrolls sideways")
            assert page.locator("#email").input_value() == "not an e-mail"
            shots(page, f"contact-error-{lang}-{width}")
            context.close()
    assert not problems, problems
