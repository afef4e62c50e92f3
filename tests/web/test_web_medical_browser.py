"""The medical board's day in a real headless Chromium (Debian's package, driven by Playwright), against
`callup serve` whose clock stands on a day of appointments: the board signs in with password and
authenticator code, lands on its list of the people expected at its office, examines one, is refused a
temporary category without its re-examination date (error summary, values kept), records a category that
ends the call, and the confirmation names the replacement called from the reserve list. The walk runs at
1280 and 390 px, in English and in Russian; axe-core finds no violation on any of its pages, and nothing
scrolls sideways at 320 px.

Screenshots are taken when $CALLUP_SCREENSHOTS names a folder to look at them in.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from callup.notices.tables import Summons
from callup.uow import UnitOfWork
from web_support import NEEDS_CHROMIUM, PASSWORD, TOTP, checked_context, copied_site, serving, violations

pytestmark = [pytest.mark.db, NEEDS_CHROMIUM]


@pytest.fixture(scope="module")
def served(site_templates, tmp_path_factory):
    """A site served at nine in the morning of region A's busiest day of appointments."""
    tmp = tmp_path_factory.mktemp("medical-e2e")
    with copied_site(site_templates, tmp) as site:
        t = Summons.__table__
        with UnitOfWork(site.admin, write=False) as uow:
            rows = uow.execute(select(t.c.office, t.c.date).where(t.c.region == site.regions[0])).all()
        office, day = Counter(tuple(r) for r in rows).most_common(1)[0][0]
        now = dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC)
        with serving(site, tmp, now=now) as base:
            yield site, base, office, now


@pytest.fixture(scope="module")
def signed_in(served, browser, tmp_path_factory):
    """The board's session, made by signing in on the sign-in page (once: an authenticator code is used only once)."""
    from callup.web.accounts import totp_at

    site, base, _, now = served
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base}/console")  # sends to the sign-in page first
    page.wait_for_url("**/officer/signin**")
    page.get_by_label("User name").fill(f"medical-{site.regions[0]}")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Code from your authenticator app").fill(totp_at(TOTP, int(now.timestamp()) // 30))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/console/medical")  # the board lands on its own list
    state = tmp_path_factory.mktemp("state") / "board.json"
    context.storage_state(path=str(state))
    context.close()
    return state


WORDS = {
    "en": {"examine": "Examine", "findings": "Findings", "unfit": re.compile(r"Unfit for military service \(category D\)"),
           "temporary": re.compile(r"\(category G\)"), "record": "Record the category", "problem": "There is a problem",
           "decided": "Decision recorded", "reserve": "Called from the reserve list in their place:",
           "date": "Re-examination date (YYYY-MM-DD)", "switch": "English",
           "needs_date": "A temporary category needs its re-examination date"},
    "ru": {"examine": "Осмотреть", "findings": "Результаты осмотра", "unfit": re.compile(r"\(категория D\)"),
           "temporary": re.compile(r"\(категория G\)"), "record": "Записать категорию", "problem": "Есть ошибка",
           "decided": "Решение записано", "reserve": "Вместо этого человека из резервного списка призван(а):",
           "date": "Дата повторного осмотра (ГГГГ-ММ-ДД)", "switch": "Русский",
           "needs_date": "Для временной категории нужна дата повторного осмотра"},
}


@pytest.mark.parametrize(("width", "lang"), [(1280, "en"), (390, "ru"), (390, "en"), (1280, "ru")])
def test_the_board_walks_from_its_list_to_a_category_that_calls_the_replacement(served, browser, signed_in, shots, width, lang):
    site, base, office, now = served
    words = WORDS[lang]
    problems: list[str] = []
    context = checked_context(browser, storage_state=str(signed_in),
                                  viewport={"width": width, "height": 900 if width > 400 else 844})
    page = context.new_page()

    def check(name: str) -> None:
        found = violations(page)
        shots(page, f"medical-{name}-{lang}-{width}")
        problems.extend(f"{name} ({lang}, {width}px): {v}" for v in found)
        for narrow in (width, 320):
            page.set_viewport_size({"width": narrow, "height": 800})
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > narrow:
                problems.append(f"{name} ({lang}) at {narrow}px scrolls sideways ({wide}px)")
        page.set_viewport_size({"width": width, "height": 900 if width > 400 else 844})

    page.goto(f"{base}/console")
    page.wait_for_url(f"{base}/console/medical")
    page.get_by_role("link", name=words["switch"]).click()
    assert page.locator("html").get_attribute("lang") == lang
    rows = page.locator("tbody tr")
    assert rows.count() >= 4
    first = rows.filter(has=page.get_by_role("button", name=re.compile(f"^{words['examine']}"))).first
    name = first.locator("td").nth(1).inner_text().strip()
    reference = first.locator("td").nth(2).inner_text().strip()
    assert name and re.fullmatch(r"[A-Z0-9-]+", reference) and re.search(r"\d:\d\d", first.locator("td").first.inner_text())
    check("day")
    first.get_by_role("button").click()
    page.wait_for_url(re.compile(r".*/console/medical/cases/\d+$"))
    assert page.get_by_role("heading", level=1).inner_text().endswith(name)
    expect(page.get_by_text(reference, exact=True)).to_be_visible()
    check("examination")
    page.get_by_label(words["findings"]).fill("fracture of the left tibia")
    page.get_by_label(words["temporary"]).check()
    page.get_by_role("button", name=words["record"]).click()  # a temporary category without its date: refused
    summary = page.get_by_role("alert")
    expect(summary.get_by_text(words["problem"])).to_be_visible()  # waits for the answer to the click
    assert words["needs_date"] in summary.inner_text()  # in the page's language
    assert page.get_by_label(words["findings"]).input_value() == "fracture of the left tibia"
    assert page.get_by_label(words["temporary"]).is_checked()
    summary.get_by_role("link").click()
    assert page.evaluate("location.hash") == "#reexamine_on"
    check("examination-error")
    page.get_by_label(words["unfit"]).check()
    page.get_by_role("button", name=words["record"]).click()
    page.wait_for_url(re.compile(r".*/decided$"))
    expect(page.get_by_role("heading", name=words["decided"], level=1)).to_be_visible()
    status = page.get_by_role("status")
    assert name in status.inner_text() and "D" in status.inner_text()
    called = page.locator("li", has_text=words["reserve"])
    replacement = called.locator("a.mono").inner_text().strip()
    assert replacement and called.locator("strong").inner_text().strip()  # the replacement named, with their reference
    assert "fracture" not in page.content()  # the findings never appear on the decision
    check("decided")
    page.get_by_role("link", name=re.compile("К осмотрам этого дня|Back to the day's examinations")).click()
    assert page.locator("tbody tr", has_text=reference).get_by_role("button").count() == 0  # examined: no button again
    context.close()
    assert not problems, "\n".join(problems)


BEYOND = {"en": "Their call was one beyond the region's number, given back on appeal",
          "ru": "Этот призыв был сверх числа региона после удовлетворённой жалобы"}
NO_SUMMONS = {"en": ("The call has ended; no summons had been issued for it.", "the summons is cancelled"),
              "ru": ("Призыв завершён; повестка по нему ещё не выдавалась.", "повестка отменена")}


def test_a_call_beyond_the_number_that_ends_says_why_nobody_is_called_in_both_languages(served, browser, signed_in, shots):
    """A's call ends and B is called from the reserve; an appeal gives A their call back, so B is beyond the region's
    number; when the board finds B unfit, the decision says the region is at its number again, not that the
    reserve is exhausted, nor that a summons B never had is cancelled."""
    import dataclasses

    from callup.campaigns import replacements
    from callup.cases import medical
    from callup.context import make_actor

    site, base, office, now = served
    region = site.regions[0]
    t = Summons.__table__
    with UnitOfWork(site.admin, write=False) as uow:  # the day's last appointment: the walks above examine the first ones
        a = uow.execute(select(t.c.national_id).where(t.c.region == region, t.c.office == office, t.c.date == now.date())
                        .order_by(t.c.start.desc(), t.c.national_id).limit(1)).scalar_one()
    with UnitOfWork(site.admin) as uow:
        b = replacements.replace(uow, "spring-2027", a, "unfit")
        campaign_id = uow.execute(select(t.c.campaign_id).where(t.c.national_id == a)).scalar_one()
    assert b.filled_by == "reserve"
    with UnitOfWork(site.admin) as uow:
        assert replacements.restore_call(uow, campaign_id, a, "unfit", b.replacement)
    board = dataclasses.replace(site.admin, actor=make_actor(f"medical-{region}", "medical", regions=region))
    with UnitOfWork(board) as uow:
        case = medical.open_examination(uow, "spring-2027", b.replacement)
        medical.decide_fitness(uow, case.id, "D")

    context = browser.new_context(storage_state=str(signed_in), viewport={"width": 1280, "height": 900})
    page = context.new_page()
    for lang, switch, width in (("en", "English", 1280), ("ru", "Русский", 390)):
        page.set_viewport_size({"width": width, "height": 900 if width > 400 else 844})
        page.goto(f"{base}/console/medical/cases/{case.id}/decided")
        page.get_by_role("link", name=switch).click()
        expect(page.get_by_text(BEYOND[lang])).to_be_visible()
        assert "exhausted" not in page.content() and "исчерпан" not in page.content()
        said, untrue = NO_SUMMONS[lang]  # B was called from the reserve and had no summons yet: none to cancel
        expect(page.get_by_text(said)).to_be_visible()
        assert untrue not in page.content()
        shots(page, f"medical-decided-beyond-{lang}-{width}")
        page.set_viewport_size({"width": 320, "height": 800})
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, f"the page scrolls sideways at 320 px ({lang})"
    context.close()
