"""The console's contract form in a real browser (Debian's Chromium), English and Russian, desktop and a 320 px phone:
no accessibility violation (axe-core), nothing scrolls sideways, and a refused contract shows the error summary linking
to the day, which keeps what was typed."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from web_support import NEEDS_CHROMIUM, checked_context, session_cookie, violations

pytestmark = [pytest.mark.db, NEEDS_CHROMIUM]


def test_the_contract_form_refuses_too_early_in_plain_words_on_a_phone_in_both_languages(served, browser, shots):
    from sqlalchemy import text

    from callup.cases import medical
    from callup.context import make_actor
    from callup.examples import path as example
    from callup.military_service import induction
    from callup.military_service.units import import_units
    from callup.uow import UnitOfWork

    site, base = served
    a = site.regions[0]
    person = site.in_region(a)[13]
    with UnitOfWork(site.admin) as uow:
        if not uow.execute(text("SELECT 1 FROM units LIMIT 1")).first():
            import_units(uow, example("units/republic-of-example.csv"))
        case = medical.open_examination(uow, "spring-2027", person.national_id).id
    with UnitOfWork(site.admin.with_actor(make_actor("board", "medical", regions=a))) as uow:
        medical.decide_fitness(uow, case, "A")
    with UnitOfWork(site.admin) as uow:
        record = induction.induct(uow, "spring-2027", person.national_id, unit="3-SIG", start=site.admin.today()).record.id
    problems = []
    context = checked_context(browser)
    context.add_cookies([{"name": "callup_session", "value": session_cookie(site, user=f"officer-{a}"), "url": base}])
    page = context.new_page()
    labels = {"en": ("Day the contract was signed (YYYY-MM-DD)", "Record the contract", "There is a problem"),
              "ru": ("День подписания контракта (ГГГГ-ММ-ДД)", "Записать контракт", "Есть ошибка")}
    for lang, (day_label, button, problem) in labels.items():
        context.add_cookies([{"name": "callup_lang", "value": lang, "url": base}])
        for width, height in ((1280, 900), (320, 640)):
            page.set_viewport_size({"width": width, "height": height})
            page.goto(f"{base}/console/service/{record}")
            page.get_by_label(day_label).fill(site.admin.today().isoformat())
            page.get_by_role("button", name=button).click()
            summary = page.get_by_role("alert")
            expect(summary.get_by_text(problem)).to_be_visible()
            assert page.get_by_label(day_label).input_value() == site.admin.today().isoformat()
            found = violations(page)
            shots(page, f"console-contract-refused-{lang}-{width}")
            problems += [f"{lang} {width}px: {v}" for v in found]
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > width:
                problems.append(f"{lang} at {width}px scrolls sideways ({wide}px)")
            summary.get_by_role("link").click()
            assert page.evaluate("location.hash") == "#signed_on"
    context.close()
    assert not problems, problems


def test_a_citizen_who_signed_a_contract_sees_both_records_in_words_on_a_phone(served, browser, shots):
    import dataclasses
    import datetime as dt

    from sqlalchemy import text

    from callup.cases import medical
    from callup.context import FixedClock, make_actor
    from callup.examples import path as example
    from callup.military_service import induction
    from callup.military_service.units import import_units
    from callup.uow import UnitOfWork

    site, base = served
    a = site.regions[0]
    person = site.in_region(a)[15]
    with UnitOfWork(site.admin) as uow:
        if not uow.execute(text("SELECT 1 FROM units LIMIT 1")).first():
            import_units(uow, example("units/republic-of-example.csv"))
        case = medical.open_examination(uow, "spring-2027", person.national_id).id
    with UnitOfWork(site.admin.with_actor(make_actor("board", "medical", regions=a))) as uow:
        medical.decide_fitness(uow, case, "A")
    with UnitOfWork(site.admin) as uow:
        record = induction.induct(uow, "spring-2027", person.national_id, unit="3-SIG", start=site.admin.today()).record.id
    later = dataclasses.replace(site.admin, clock=FixedClock(dt.datetime(2027, 6, 2, 9, tzinfo=dt.UTC)))
    with UnitOfWork(later) as uow:
        induction.convert(uow, record, on=dt.date(2027, 6, 1))
    problems = []
    context = checked_context(browser)
    context.add_cookies([{"name": "callup_session", "value": session_cookie(site, citizen=person), "url": base}])
    page = context.new_page()
    for lang, words in (("en", ("Contract soldier", "Ended: signed a contract")),
                        ("ru", ("Военнослужащий по контракту", "Завершена: заключён контракт"))):
        context.add_cookies([{"name": "callup_lang", "value": lang, "url": base}])
        for width, height in ((1280, 900), (320, 640)):
            page.set_viewport_size({"width": width, "height": height})
            page.goto(f"{base}/portal")
            for said in words:
                assert page.get_by_text(said).first.is_visible(), (lang, said)
            found = violations(page)
            shots(page, f"portal-contract-{lang}-{width}")
            problems += [f"{lang} {width}px: {v}" for v in found]
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > width:
                problems.append(f"{lang} at {width}px scrolls sideways ({wide}px)")
    context.close()
    assert not problems, problems
