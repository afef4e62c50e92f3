"""An auditor in a real headless Chromium (Debian's package, driven by Playwright) against `callup serve --workers 2`:
signs in, verifies the audit chain (whole, and against a published anchor), re-verifies the campaign's draw from its
published files, reads a person's access history and the guardrail report, at 1280 and 390 px in English and
Russian; axe-core finds no violation on any of these pages, none scrolls sideways at 320 px; an officer is
refused the auditor's pages and is not offered them.

Screenshots are taken when $CALLUP_SCREENSHOTS names a folder to look at them in.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from web_support import NEEDS_CHROMIUM, PASSWORD, checked_context, session_cookie, totp_now, violations

pytestmark = [pytest.mark.db, NEEDS_CHROMIUM]

#: The pages' words in each language: what the walk clicks and reads.
WORDS = {
    "en": {"verify": "Verify the chain", "verifies": "The audit log verifies.", "against": "Verify against this anchor",
           "contains": "The chain still contains the anchor", "draws": "Draw verification", "rerun": "Re-run the verification",
           "matches": "The draw matches", "history": "Access history", "national_id": "National id", "reason": "Reason",
           "show": "Show the access history", "read": "read your register record", "guardrail": "Guardrail report",
           "audit": "Audit log"},
    "ru": {"verify": "Проверить цепочку", "verifies": "Журнал аудита прошёл проверку.", "against": "Сверить с этим якорем",
           "contains": "Цепочка по-прежнему содержит якорь", "draws": "Проверка жеребьёвки", "rerun": "Повторить проверку",
           "matches": "Жеребьёвка совпадает", "history": "История доступа", "national_id": None, "reason": "Причина",
           "show": "Показать историю доступа", "read": None, "guardrail": "Отчёт об ограничениях", "audit": "Журнал аудита"},
}


def test_an_auditor_verifies_the_chain_and_the_draw_in_both_languages_at_desktop_and_phone_widths(served, browser, shots):
    from callup.audit.chain import publish_anchor
    from callup.examples import path as example
    from callup.military_service import guardrail, units
    from callup.uow import UnitOfWork

    site, base = served
    person = site.in_region(site.regions[0])[2]
    officer = session_cookie(site, user=f"officer-{site.regions[0]}")
    publish_anchor(site.admin)
    with UnitOfWork(site.admin) as uow:  # one refused assignment, for the guardrail report to list
        units.import_units(uow, example("units/republic-of-example.csv"))
    with UnitOfWork(site.admin) as uow:
        guardrail.check(uow, national_id=person.national_id, region=site.regions[0], status="conscript", unit="8-MECH",
                        action="induct")
    # The officer reads a person's record first: the auditor then finds that read in the person's history.
    page = browser.new_page()
    page.context.add_cookies([{"name": "callup_session", "value": officer, "url": base}])
    page.goto(f"{base}/console/people/{person.national_id}?reason=checking+the+address")
    page.close()

    # Signing in as an auditor does (password and authenticator code), once: the code cannot be used again.
    page = browser.new_page()
    page.goto(f"{base}/officer/signin")
    page.get_by_label("User name").fill("auditor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Code from your authenticator app").fill(totp_now())
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/console")
    auditor = next(c["value"] for c in page.context.cookies() if c["name"] == "callup_session")
    page.close()

    problems: list[str] = []
    context = checked_context(browser)
    context.add_cookies([{"name": "callup_session", "value": auditor, "url": base}])
    page = context.new_page()

    def check(name: str, width: int, lang: str) -> None:
        found = violations(page)
        shots(page, f"auditor-{name}-{width}-{lang}")
        problems.extend(f"{name} at {width}px ({lang}): {v}" for v in found)
        wide = page.evaluate("document.documentElement.scrollWidth")
        if wide > width:
            problems.append(f"{name} at {width}px ({lang}) scrolls sideways ({wide}px)")

    for lang in ("en", "ru"):
        w = WORDS[lang]
        for width, height in ((1280, 900), (390, 844)):
            page.set_viewport_size({"width": width, "height": height})
            page.goto(f"{base}/lang/{lang}?next=/console")
            page.get_by_role("link", name=w["audit"], exact=True).click()
            page.wait_for_url(f"{base}/console/audit")
            check("chain-form", width, lang)
            page.get_by_role("button", name=w["verify"]).click()
            page.wait_for_url("**check=chain**")
            result = page.get_by_role("status")
            expect(result.get_by_text(w["verifies"])).to_be_visible()
            check("chain-verified", width, lang)
            page.locator('input[name="anchor"]').first.check()
            page.get_by_role("button", name=w["against"]).click()
            page.wait_for_url("**check=anchor**")
            expect(page.get_by_role("status").get_by_text(w["contains"])).to_be_visible()
            check("chain-anchor", width, lang)

            page.get_by_role("link", name=w["draws"], exact=True).click()
            expect(page.get_by_role("button", name=w["rerun"])).to_be_visible()  # the new page, before axe goes in
            check("draw-form", width, lang)
            page.get_by_role("button", name=w["rerun"]).click()
            page.wait_for_url("**campaign=spring-2027**")
            expect(page.get_by_role("status").get_by_text(w["matches"])).to_be_visible()
            check("draw-verified", width, lang)

            page.get_by_role("link", name=w["history"], exact=True).click()
            page.locator("#national_id").fill(person.national_id)
            page.get_by_label(w["reason"], exact=True).fill("complaint 2027/31")
            page.get_by_role("button", name=w["show"]).click()
            page.wait_for_url("**national_id=**")
            expect(page.get_by_text("checking the address").first).to_be_visible()
            if w["read"]:
                expect(page.get_by_text(w["read"]).first).to_be_visible()
            assert "person.read" not in page.content()
            check("history", width, lang)

            page.get_by_role("link", name=w["guardrail"], exact=True).click()
            expect(page.get_by_text(person.national_id)).to_be_visible()
            check("guardrail", width, lang)

    page.set_viewport_size({"width": 320, "height": 640})  # the narrowest phone WCAG's reflow asks for
    for lang in ("en", "ru"):
        for path in ("/console/audit?check=chain", "/console/audit/draws?campaign=spring-2027",
                     f"/console/audit/people?national_id={person.national_id}&reason=complaint", "/console/audit/guardrail"):
            page.goto(f"{base}/lang/{lang}?next={path.replace('&', '%26')}")
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > 320:
                problems.append(f"{path} ({lang}) at 320px scrolls sideways ({wide}px)")
            shots(page, f"auditor-320-{lang}-{path.split('?')[0].rsplit('/', 1)[-1]}")
    context.close()
    assert not problems, "\n".join(problems)

    # An officer is not offered the auditor's log pages and is refused them.
    page = browser.new_page()
    page.context.add_cookies([{"name": "callup_session", "value": officer, "url": base}])
    page.goto(f"{base}/lang/en?next=/console")
    assert page.get_by_role("link", name="Audit log").count() == 0
    assert page.get_by_role("link", name="Draw verification").count() == 0
    for path in ("/console/audit?check=chain", "/console/audit/draws?campaign=spring-2027",
                 f"/console/audit/people?national_id={person.national_id}&reason=x"):
        assert page.goto(base + path).status == 403, path
    shots(page, "auditor-officer-refused")
    page.close()
