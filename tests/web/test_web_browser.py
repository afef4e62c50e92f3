"""End to end in a real headless Chromium (Debian's package, driven by Playwright; never
`playwright install`), against `callup serve` with two workers in a separate process:

- a citizen signs in with the letter's reference and code, sees the summons, acknowledges it;
- a citizen moves the appointment;
- a citizen applies for deferral with an uploaded document, an officer decides it in the console,
  and the citizen sees the decision with its reasons and who read the record;
- an officer of region A signs in with password and TOTP and cannot reach a person of region B
  through any page;
- axe-core finds no serious or critical accessibility violation on any portal page.

Screenshots are taken when $CALLUP_SCREENSHOTS names a folder to look at them in.
"""

from __future__ import annotations

import pathlib
import re

import pytest
from playwright.sync_api import expect

from web_support import NEEDS_CHROMIUM, PASSWORD, checked_context, served_site, session_cookie, totp_now, violations

pytestmark = [pytest.mark.db, NEEDS_CHROMIUM]


@pytest.fixture(scope="module")
def served(site_templates, tmp_path_factory):
    """The site served by `callup serve --workers 2`: a session one worker made holds on the other."""
    yield from served_site(site_templates, tmp_path_factory.mktemp("e2e"), workers=2)


def _citizen_signs_in(page, base, citizen):  # noqa: ANN001, ANN202
    page.goto(f"{base}/s/{citizen.reference.replace('-', '')}")  # the letter's QR code
    assert page.get_by_label("Reference of the summons").input_value() == citizen.reference.replace("-", "")
    page.get_by_label("Sign-in code").fill(citizen.code)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/portal")


def test_a_citizen_signs_in_with_the_letter_s_code_sees_the_summons_and_acknowledges_it(served, browser, shots):
    site, base = served
    citizen = site.citizens[40]
    page = browser.new_page()
    _citizen_signs_in(page, base, citizen)
    shots(page, "portal-status")
    expect(page.get_by_role("heading", name="My status", level=1)).to_be_visible()
    page.get_by_role("link", name="Open my summons").click()
    expect(page.get_by_role("heading", name="Before you open your summons")).to_be_visible()  # delivery is said before it happens
    shots(page, "portal-before-opening")
    page.get_by_role("button", name="Open my summons").click()
    expect(page.get_by_text(citizen.reference)).to_be_visible()
    expect(page.locator(".badge", has_text="Delivered")).to_be_visible()  # opening it was the delivery
    page.get_by_role("button", name="I confirm that I received this summons").click()
    page.wait_for_url("**done=acknowledged")
    expect(page.get_by_role("status").get_by_text("you have confirmed")).to_be_visible()
    shots(page, "portal-acknowledged")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the letter (PDF)").click()
    assert pathlib.Path(download.value.path()).read_bytes().startswith(b"%PDF")
    page.close()


def test_a_citizen_moves_the_appointment(served, browser, shots):
    site, base = served
    citizen = site.citizens[41]
    page = browser.new_page()
    _citizen_signs_in(page, base, citizen)
    page.goto(f"{base}/portal/summons/{citizen.reference}")
    page.get_by_role("button", name="Open my summons").click()  # past the page saying that opening it delivers it
    page.wait_for_url(f"{base}/portal/summons/{citizen.reference}")
    before = (page.locator("dd").nth(0).inner_text(), page.locator("dd").nth(1).inner_text())  # date, time
    page.get_by_role("link", name="Move the appointment").click()
    page.get_by_role("radio").nth(1).check()  # the second day offered
    shots(page, "portal-move-day")
    page.get_by_role("button", name="Continue").click()
    slot = page.get_by_role("radio").nth(2)
    slot.check()
    chosen = (page.locator("legend").inner_text().removeprefix("Choose a time on "),  # its day, and its time
              page.locator(f'label[for="{slot.get_attribute("id")}"]').inner_text().split(" (")[0].split(" · ")[0].split("–")[0])
    shots(page, "portal-move-time")
    page.get_by_role("button", name="Continue").click()
    shots(page, "portal-move-confirm")
    page.get_by_role("button", name="Move my appointment").click()
    page.wait_for_url("**done=moved")
    expect(page.get_by_text("Your appointment was moved.")).to_be_visible()
    after = (page.locator("dd").nth(0).inner_text(), page.locator("dd").nth(1).inner_text())
    assert after != before and after[0] == chosen[0] and after[1].startswith(chosen[1])
    page.close()


def test_an_officer_of_region_a_cannot_reach_a_person_of_region_b_through_any_page(served, browser, shots):
    site, base = served
    a, b = site.regions[0], site.regions[1]
    mine, theirs = site.in_region(a)[0], site.in_region(b)[0]
    page = browser.new_page()
    page.goto(f"{base}/console")  # sends to the sign-in page first
    page.wait_for_url("**/officer/signin**")
    page.get_by_label("User name").fill(f"officer-{a}")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Code from your authenticator app").fill(totp_now())
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/console")
    shots(page, "console-queue")
    page.goto(f"{base}/console/people/{mine.national_id}?reason=checking+the+appointment")
    expect(page.get_by_text(mine.national_id).first).to_be_visible()
    for path in (f"/console/people/{theirs.national_id}", f"/console/people/{theirs.national_id}?reason=x",
                 f"/console/summons/{theirs.reference}", f"/portal/summons/{theirs.reference}",
                 f"/api/v1/people/{theirs.national_id}", f"/api/v1/summonses/{theirs.reference}",
                 f"/api/v1/people/{theirs.national_id}/summonses"):
        response = page.goto(base + path)
        assert response.status in (403, 404), f"{path}: {response.status}"
        assert theirs.national_id not in page.content().replace(path, "")
    page.goto(f"{base}/console/search?q={theirs.national_id}")
    expect(page.get_by_text("No one found in your regions.")).to_be_visible()
    shots(page, "console-other-region")
    page.close()


def test_a_deferral_with_an_upload_is_decided_by_the_officer_and_the_citizen_sees_the_decision_and_the_reads(served, browser, shots,
                                                                                                         tmp_path):
    site, base = served
    a = site.regions[0]
    citizen = site.in_region(a)[5]
    scan = tmp_path / "board-decision.pdf"
    scan.write_bytes(b"%PDF-1.4\n% the medical board's decision\n%%EOF\n")
    page = browser.new_page()
    _citizen_signs_in(page, base, citizen)
    page.goto(f"{base}/lang/en?next=/portal")  # the English words below, whatever language the register holds
    page.get_by_role("link", name="Apply for a deferral").first.click()
    page.get_by_role("link", name="Start now").click()
    page.get_by_label("Temporary unfitness", exact=False).check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Reference of the document (its number and who issued it)").fill("board 2027/55")
    page.get_by_label("Or upload the document (PDF, JPEG or PNG, at most 5 MB)").set_input_files(str(scan))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/sent/**")
    shots(page, "portal-applied")

    officer = browser.new_page()
    officer.goto(f"{base}/officer/signin")
    officer.get_by_label("User name").fill(f"officer-{a}")
    officer.get_by_label("Password").fill(PASSWORD)
    officer.get_by_label("Code from your authenticator app").fill(totp_now(1))
    officer.get_by_role("button", name="Sign in").click()
    officer.wait_for_url(f"{base}/console")
    officer.get_by_role("link", name="Cases", exact=True).click()
    officer.locator("tbody a").first.click()
    expect(officer.get_by_text("board 2027/55")).to_be_visible()
    with officer.expect_download() as download:
        officer.get_by_role("link", name="Download the document").click()
    assert pathlib.Path(download.value.path()).read_bytes() == scan.read_bytes()
    officer.get_by_label("grant").check()
    officer.get_by_label("Reasons (shown to the person)").fill("the medical board confirms temporary unfitness")
    officer.get_by_role("button", name="Record the decision").click()
    officer.wait_for_url("**done=decided")
    shots(officer, "console-decided")
    officer.close()

    page.goto(f"{base}/portal/cases")
    expect(page.get_by_text("the medical board confirms temporary unfitness")).to_be_visible()
    expect(page.get_by_text("Appeal by")).to_be_visible()
    shots(page, "portal-decision")
    page.get_by_role("link", name="Who read my record").click()
    expect(page.get_by_text("case work in the console").first).to_be_visible()
    assert page.get_by_text(f"Office of {a}").first.is_visible() and f"officer-{a}" not in page.content()
    shots(page, "portal-reads")
    page.close()


def test_no_serious_or_critical_accessibility_violation_on_any_portal_page(served, browser, shots):
    site, base = served
    citizen = site.citizens[42]
    context = checked_context(browser)
    page = context.new_page()
    problems = []

    def check(name: str) -> None:
        found = violations(page, serious_only=True)
        shots(page, f"a11y-{name}")
        problems.extend(f"{name}: {v}" for v in found)

    for path, name in (("/", "home"), ("/signin", "signin"), ("/officer/signin", "officer-signin"), ("/status/check", "check"),
                       ("/nowhere", "not-found")):
        page.goto(base + path)
        check(name)
    page.goto(base + "/signin")
    page.get_by_role("button", name="Sign in").click()  # the browser's own required-field check
    page.get_by_label("Reference of the summons").fill(citizen.reference)
    page.get_by_label("Sign-in code").fill("WRONG-CODE")
    with page.expect_navigation():  # the answer loaded before axe goes into it
        page.get_by_role("button", name="Sign in").click()
    check("signin-error")
    _citizen_signs_in(page, base, citizen)
    for path, name in (("/portal", "status"), (f"/portal/summons/{citizen.reference}", "summons"),
                       (f"/portal/summons/{citizen.reference}/move", "move"), ("/portal/contact", "contact"),
                       ("/portal/reads", "reads"), ("/portal/document", "document"), ("/portal/cases", "cases")):
        page.goto(base + path)
        check(name)
    page.goto(base + "/lang/ru?next=/portal")
    check("status-ru")
    page.goto(base + f"/portal/summons/{citizen.reference}")
    check("summons-ru")
    page.goto(base + "/lang/en?next=/portal/contact")
    page.get_by_label("Email").fill("not-an-email")
    page.evaluate("document.querySelector('#email').type = 'text'")  # let the server's own check answer
    with page.expect_navigation():
        page.get_by_role("button", name="Send the request").click()
    check("contact-error")
    page.set_viewport_size({"width": 320, "height": 640})  # the narrowest phone WCAG's reflow asks for
    for lang in ("en", "ru"):
        for path in ("/portal", f"/portal/summons/{citizen.reference}", "/portal/document", "/portal/reads", "/portal/contact"):
            page.goto(f"{base}/lang/{lang}?next={path}")
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > 320:
                problems.append(f"{path} ({lang}) at 320px scrolls sideways ({wide}px)")
    context.close()
    assert not problems, "\n".join(problems)


def test_console_pages_have_no_accessibility_violation_and_a_wrong_date_shows_the_error_summary(served, browser, shots):
    """The officer's console at desktop and phone widths: queue, summons (no appearance form before delivery), a
    case whose decision has a wrongly written date (error summary linking to the field, values kept)."""
    from callup.cases import deferrals
    from callup.context import Actor, Role
    from callup.uow import UnitOfWork

    site, base = served
    a = site.regions[0]
    citizen = site.in_region(a)[9]
    with UnitOfWork(site.admin.with_actor(Actor("citizen", Role.citizen, person_id=citizen.national_id))) as uow:
        case = deferrals.apply_for_deferral(uow, "spring-2027", citizen.national_id, "study", evidence="UNI-2027-9")
    case_id = getattr(case, "case", case).id
    problems = []
    context = checked_context(browser)
    # Signed in as sign-in would (this test is not about signing in): a used authenticator code cannot be used
    # again, and the other tests of this module use every code the server accepts at its fixed time.
    context.add_cookies([{"name": "callup_session", "value": session_cookie(site, user=f"officer-{a}"), "url": base}])
    page = context.new_page()
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{base}/console")

        def check(name: str, width: int = width) -> None:
            found = violations(page)
            shots(page, f"console-{name}-{width}")
            problems.extend(f"{name} at {width}px: {v}" for v in found)
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > width:
                problems.append(f"{name} at {width}px scrolls sideways ({wide}px)")

        check("queue")
        page.goto(f"{base}/console/summons/{citizen.reference}")
        expect(page.get_by_text("once the summons has been delivered")).to_be_visible()
        assert page.locator('input[name="outcome"]').count() == 0
        check("summons")
        page.goto(f"{base}/console/cases/{case_id}")
        page.get_by_label("grant").check()
        page.get_by_label("Reasons (shown to the person)").fill("enrolled until the summer")
        page.get_by_label("Deferred until (YYYY-MM-DD, optional)").fill("31/03/2028")
        page.get_by_role("button", name="Record the decision").click()
        summary = page.get_by_role("alert")
        expect(summary.get_by_text("There is a problem")).to_be_visible()  # waits for the answer to the click
        expect(page).to_have_title(re.compile("^Error: "))
        assert page.get_by_label("Reasons (shown to the person)").input_value() == "enrolled until the summer"
        assert page.get_by_label("grant").is_checked()
        summary.get_by_role("link").click()
        assert page.evaluate("location.hash") == "#until"
        check("case-error")
    import urllib.parse

    page.set_viewport_size({"width": 320, "height": 640})  # the lists stack on the narrowest phone, in both languages
    for lang in ("en", "ru"):
        for path in ("/console", "/console/cases", f"/console/search?q={citizen.national_id}"):
            page.goto(f"{base}/lang/{lang}?next={urllib.parse.quote(path, safe='/')}")
            assert page.locator("table").count() >= 1 or path == "/console", path
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > 320:
                problems.append(f"{path} ({lang}) at 320px scrolls sideways ({wide}px)")
    context.close()
    assert not problems, problems
