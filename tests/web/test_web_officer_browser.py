"""A regional officer's day in a real headless Chromium (Debian's package, driven by Playwright) against
`callup serve`, the server's clock on an appointment day: the office's day sheet, its
appearances recorded in one submit (a refused submit first: nothing chosen), then a contested appeal
decided by an officer other than the decision's author (who is not offered the form). Every page is
checked by axe-core at 1280 and 390 px, in English and Russian, and for sideways scrolling at 320 px.

Screenshots are taken when $CALLUP_SCREENSHOTS names a folder to look at them in.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
import urllib.request

import pytest
from playwright.sync_api import expect

from web_support import NEEDS_CHROMIUM, checked_context, copied_site, serving, session_cookie, violations

pytestmark = [pytest.mark.db, NEEDS_CHROMIUM]


@pytest.fixture(scope="module")
def office_day(site_templates, tmp_path_factory):
    """A site whose busiest office-day of region A has its summonses delivered (one left undelivered), an
    appeal lodged against a refusal the administrator made, served with the clock at 10:00 that day."""
    tmp = tmp_path_factory.mktemp("officer-e2e")
    with copied_site(site_templates, tmp) as site:
        yield from _office_day(site, tmp)


def _office_day(site, tmp):  # noqa: ANN001, ANN202
    from collections import Counter

    from callup.cases import appeals, deferrals
    from callup.context import Actor, Role, make_actor
    from callup.notices import service as notices
    from callup.uow import UnitOfWork

    a = site.regions[0]
    with UnitOfWork(site.admin, write=False) as uow:
        views = {c.reference: notices.view(uow, c.reference) for c in site.in_region(a)}
    (office, day), _ = Counter((v.office, v.date) for v in views.values()).most_common(1)[0]
    people = [c for c in site.in_region(a) if (views[c.reference].office, views[c.reference].date) == (office, day)]
    applicant = next((c for c in site.in_region(a) if c not in people), people[-1])
    with UnitOfWork(site.admin) as uow:
        for c in people[:-1]:
            notices.acknowledge(uow, c.reference, evidence="acknowledged at the counter")
    citizen = site.admin.with_actor(Actor("citizen", Role.citizen, person_id=applicant.national_id))
    with UnitOfWork(citizen) as uow:
        case_id = deferrals.apply_for_deferral(uow, "spring-2027", applicant.national_id, "study", evidence="UNI-2027-31").case.id
    with UnitOfWork(site.admin.with_actor(make_actor("admin", "administrator"))) as uow:  # the console's administrator
        deferrals.decide_deferral(uow, case_id, "refuse", reason="no enrolment certificate on file")
    with UnitOfWork(citizen) as uow:
        appeal_id = appeals.lodge_appeal(uow, case_id, reason="the certificate was sent by post on 2 February").id
    now = dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC)
    with serving(site, tmp, now=now) as base:
        yield {"site": site, "base": base, "office": office, "people": people, "applicant": applicant, "case": case_id,
               "appeal": appeal_id, "region": a}


def test_an_officer_records_a_day_sheet_and_decides_a_contested_appeal_at_desktop_and_phone_widths(office_day, browser, shots):
    site, base, office = office_day["site"], office_day["base"], office_day["office"]
    people, a = office_day["people"], office_day["region"]
    problems: list[str] = []
    context = checked_context(browser)
    context.add_cookies([{"name": "callup_session", "value": session_cookie(site, user=f"officer-{a}"), "url": base}])
    page = context.new_page()

    def look(name: str, lang: str = "en") -> None:
        width = page.viewport_size["width"]
        found = violations(page)
        shots(page, f"officer-{name}-{width}-{lang}")
        problems.extend(f"{name} at {width}px ({lang}): {v}" for v in found)
        wide = page.evaluate("document.documentElement.scrollWidth")
        if wide > width:
            problems.append(f"{name} at {width}px ({lang}) scrolls sideways ({wide}px)")

    def lang(code: str, path: str) -> None:
        page.goto(f"{base}/lang/{code}?next={urllib.parse.quote(path, safe='/')}")

    sheet = f"/console/day?office={office}"
    page.set_viewport_size({"width": 1280, "height": 900})
    lang("en", "/console")
    page.get_by_role("link", name="Day sheet").click()
    page.goto(base + sheet)
    expect(page.get_by_role("heading", name="Day sheet", level=1)).to_be_visible()
    expect(page.get_by_text("Not delivered: an appearance is recorded only for a delivered summons.")).to_be_visible()
    look("day-sheet")
    page.get_by_role("button", name="Record the appearances chosen").click()  # nothing chosen
    expect(page.get_by_role("alert").get_by_text("Choose Came or Did not come for at least one person.")).to_be_visible()
    look("day-sheet-error")
    page.set_viewport_size({"width": 390, "height": 844})
    lang("ru", sheet)
    expect(page.get_by_role("heading", name="Лист дня", level=1)).to_be_visible()
    look("day-sheet", "ru")
    lang("en", sheet)
    delivered = people[:-1]
    for k, c in enumerate(delivered):
        fieldset = page.locator(f"#outcome-{c.reference}")
        fieldset.get_by_label("Did not come" if k == 1 else "Came", exact=True).check()
    page.get_by_role("button", name="Record the appearances chosen").click()
    page.wait_for_url("**done=*")
    expect(page.get_by_role("status").get_by_text(f"Appearances recorded: {len(delivered)}.")).to_be_visible()
    assert page.locator('input[type="radio"]').count() == 0
    look("day-sheet-recorded")
    page.set_viewport_size({"width": 1280, "height": 900})
    lang("ru", sheet)
    look("day-sheet-recorded", "ru")

    # The appeal: its author (the administrator) is not offered the form; this officer is.
    author = browser.new_context()
    author.add_cookies([{"name": "callup_session", "value": session_cookie(site, user="admin"), "url": base}])
    theirs = author.new_page()
    theirs.goto(f"{base}/console/cases/{office_day['appeal']}")
    expect(theirs.get_by_text("This appeal contests your own decision")).to_be_visible()
    assert theirs.locator('input[name="decision"]').count() == 0
    author.close()
    lang("en", "/console/cases")
    page.locator(f'a[href="/console/cases/{office_day["appeal"]}"]').first.click()
    expect(page.get_by_role("link", name=f"case {office_day['case']}").first).to_be_visible()  # the decision it contests
    assert page.get_by_text("(not named)").count() == 0
    look("appeal")
    page.set_viewport_size({"width": 390, "height": 844})
    lang("ru", f"/console/cases/{office_day['appeal']}")
    look("appeal", "ru")
    lang("en", f"/console/cases/{office_day['appeal']}")
    page.get_by_label("Allow the appeal: undo the decision").check()
    page.get_by_label("Reasons (shown to the person)").fill("the certificate arrived before the decision was made")
    page.get_by_role("button", name="Record the decision").click()
    page.wait_for_url("**done=decided")
    expect(page.get_by_text("The decision was recorded.")).to_be_visible()
    look("appeal-decided")
    page.goto(f"{base}/console/people/{office_day['applicant'].national_id}?reason=appeal+decided")
    look("person")
    lang("ru", f"/console/people/{office_day['applicant'].national_id}?reason=appeal+decided")
    look("person", "ru")

    page.set_viewport_size({"width": 320, "height": 640})  # the narrowest phone WCAG's reflow asks for
    for code in ("en", "ru"):
        for path in (sheet, f"/console/cases/{office_day['appeal']}", f"/console/cases/{office_day['case']}",
                     f"/console/people/{office_day['applicant'].national_id}?reason=appeal+decided"):
            lang(code, path)
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > 320:
                problems.append(f"{path} ({code}) at 320px scrolls sideways ({wide}px)")
            if path == sheet:
                shots(page, f"officer-day-sheet-320-{code}")
    context.close()
    assert not problems, "\n".join(problems)
