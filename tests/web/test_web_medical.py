"""The medical board in the console, on both backends: its day list (names, references, times) is where it lands,
an examination opened from it ends in a category whose release and replacement the confirmation names, a refused
category comes back beside its field with everything typed kept, and each role sees only the forms it may use."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest
from sqlalchemy import select

from callup.context import FixedClock
from callup.notices.tables import Summons
from callup.uow import UnitOfWork
from web_support import csrf_of, signed_in

summonses = Summons.__table__


@pytest.fixture(scope="module")
def day(site):
    """The busiest (office, day) of region A's appointments, and a clock at nine that morning."""
    a = site.regions[0]
    with UnitOfWork(site.admin, write=False) as uow:
        rows = uow.execute(select(summonses.c.office, summonses.c.date).where(summonses.c.region == a)).all()
    office, date = Counter(tuple(r) for r in rows).most_common(1)[0][0]
    return office, date, FixedClock(dt.datetime.combine(date, dt.time(9), tzinfo=dt.UTC))


def _board(site, day):  # noqa: ANN001, ANN202
    return signed_in(site, user=f"medical-{site.regions[0]}", clock=day[2])


def _expected(page_text: str) -> list[tuple[str, str]]:
    """(campaign, national id) of each person the day list offers to examine, in its order."""
    return re.findall(r'name="campaign" value="([^"]+)">\s*<input type="hidden" name="person" value="([^"]+)"', page_text)


def _open(board, day, person):  # noqa: ANN001, ANN202
    page = board.get(f"/console/medical?office={day[0]}&day={day[1].isoformat()}")
    opened = board.post("/console/medical/examinations", data={"csrf": csrf_of(page.text), "campaign": person[0],
                                                                "person": person[1], "office": day[0], "day": day[1].isoformat()})
    assert opened.status_code == 303, opened.text[:2000]
    return opened.headers["location"]


def test_the_board_lands_on_its_day_list_with_names_references_and_times_and_only_its_own_links(site, day):
    board = _board(site, day)
    landing = board.get("/console")
    assert landing.status_code == 303 and landing.headers["location"] == "/console/medical"
    page = board.get("/console/medical")
    assert page.status_code == 200
    assert f'value="{day[0]}" selected' in page.text and f'value="{day[1].isoformat()}"' in page.text  # its region's office, today
    mine = [c for c in site.in_region(site.regions[0])]
    shown = [c for c in mine if c.reference in page.text]
    assert len(shown) >= 2 and len(_expected(page.text)) == len(shown)
    assert re.search(r'data-label="Time">\d{1,2}:\d{2}', page.text)  # each person with the time of their appointment
    before = signed_in(site, user=f"medical-{site.regions[0]}",
                       clock=FixedClock(day[2].instant - dt.timedelta(days=1))).get(f"/console/medical?office={day[0]}&day={day[1]}")
    assert "This day is still to come" in before.text and not _expected(before.text)  # listed, nobody examined before the day
    assert all(c.reference in before.text for c in shown)
    nav = page.text.split('class="main-nav"')[1].split("</nav>")[0]
    assert "Examinations" in nav and 'href="/console"' not in nav and 'href="/console/cases"' not in nav


def test_an_unfit_category_from_the_day_list_shows_the_call_ended_and_the_replacement_called_from_the_reserve(site, day):
    board = _board(site, day)
    person = _expected(board.get(f"/console/medical?office={day[0]}").text)[0]
    where = _open(board, day, person)
    form = board.get(where)
    assert form.status_code == 200 and "Findings" in form.text and "Unfit for military service (category D)" in form.text
    done = board.post(where + "/fitness", data={"csrf": csrf_of(form.text), "category": "D", "details": "chronic condition X"})
    assert done.status_code == 303 and done.headers["location"].endswith("/decided")
    shown = board.get(done.headers["location"])
    assert "Category D: Unfit for military service" in shown.text
    assert "The call has ended and the summons is cancelled." in shown.text and "Called from the reserve list in their place:" in shown.text
    replacement = re.search(r'national id <a class="mono" href="/console/people/([^"]+)"', shown.text).group(1)
    assert replacement != person[1]
    assert "chronic condition X" not in shown.text  # the findings are never on the decision
    after = board.get(f"/console/medical?office={day[0]}")
    assert person not in _expected(after.text) and "Category D" in after.text


def test_a_refused_category_comes_back_beside_its_field_with_the_findings_and_choice_kept(site, day):
    board = _board(site, day)
    person = _expected(board.get(f"/console/medical?office={day[0]}").text)[0]
    where = _open(board, day, person)
    form = board.get(where)
    missing = board.post(where + "/fitness", data={"csrf": csrf_of(form.text), "category": "G", "details": "fracture, in plaster"})
    assert missing.status_code == 422 and 'role="alert"' in missing.text and "There is a problem" in missing.text
    assert 'href="#reexamine_on"' in missing.text and 'id="reexamine_on-error"' in missing.text
    assert "A temporary category needs its re-examination date: after today and by" in missing.text
    assert "fracture, in plaster</textarea>" in missing.text and re.search(r'value="G" required checked', missing.text)
    wrong = board.post(where + "/fitness", data={"csrf": csrf_of(form.text), "category": "G", "details": "fracture",
                                                 "reexamine_on": "01/10/2027"})
    assert wrong.status_code == 422 and "Not a date" in wrong.text and 'value="01/10/2027"' in wrong.text
    late = board.post(where + "/fitness", data={"csrf": csrf_of(form.text), "category": "G",
                                                "reexamine_on": (day[1] + dt.timedelta(days=800)).isoformat()})
    assert late.status_code == 422 and "A temporary category needs its re-examination date" in late.text
    not_temporary = board.post(where + "/fitness", data={"csrf": csrf_of(form.text), "category": "A",
                                                         "reexamine_on": (day[1] + dt.timedelta(days=20)).isoformat()})
    assert not_temporary.status_code == 422 and "Category A is not temporary" in not_temporary.text
    none = board.post(where + "/fitness", data={"csrf": csrf_of(form.text), "details": "kept"})
    assert none.status_code == 422 and 'href="#category"' in none.text and "kept</textarea>" in none.text
    ok = board.post(where + "/fitness", data={"csrf": csrf_of(form.text), "category": "G",
                                              "reexamine_on": (day[1] + dt.timedelta(days=200)).isoformat()})
    assert ok.status_code == 303
    again = board.post(where + "/fitness", data={"csrf": csrf_of(form.text), "category": "A"})  # a second, late submit
    assert again.status_code == 409 and "This examination was decided meanwhile" in again.text
    assert 'name="category"' not in again.text and "Category G: Temporarily unfit" in again.text  # the state it found
    shown = board.get(ok.headers["location"])
    assert "Re-examination by" in shown.text and "pool of later campaigns" in shown.text


def test_each_role_is_shown_only_the_forms_it_may_use(site, day):
    a = site.regions[0]
    board = _board(site, day)
    person = _expected(board.get(f"/console/medical?office={day[0]}").text)[0]
    where = _open(board, day, person)
    case_id = where.rsplit("/", 1)[1]
    officer = signed_in(site, user=f"officer-{a}", clock=day[2])
    assert officer.get("/console/medical").status_code == 403  # the board's pages are not the officer's
    assert officer.get(where).status_code == 403
    seen = officer.get(f"/console/cases/{case_id}")  # the case itself, read-only: no examination form
    assert seen.status_code == 200 and 'name="category"' not in seen.text and "/fitness" not in seen.text
    refused = officer.post(where + "/fitness", data={"csrf": csrf_of(seen.text), "category": "A"})
    assert refused.status_code == 403
    auditor = signed_in(site, user="auditor", clock=day[2])
    read = auditor.get(where)
    assert read.status_code == 200 and 'name="category"' not in read.text  # reads, never decides
    reference = next(c.reference for c in site.in_region(a) if c.national_id == person[1])
    summons = board.get(f"/console/summons/{reference}")
    assert summons.status_code == 200 and 'name="outcome"' not in summons.text  # no appearance form for the board
    case_page = board.get(f"/console/cases/{case_id}")
    assert 'name="decision"' not in case_page.text and f'href="/console/medical/cases/{case_id}"' in case_page.text
    forbidden = board.post(f"/console/cases/{case_id}/decision", data={"csrf": csrf_of(case_page.text), "decision": "grant",
                                                                        "reason": "x"})
    assert forbidden.status_code == 403
    queue = board.get("/console/medical")
    assert "/console/contact/" not in queue.text and 'name="outcome"' not in queue.text


def test_the_examination_form_speaks_russian_with_the_categories_in_plain_words(site, day):
    board = _board(site, day)
    board.cookies.set("callup_lang", "ru")
    page = board.get(f"/console/medical?office={day[0]}")
    assert "Осмотры" in page.text
    person = _expected(page.text)[0]
    form = board.get(_open(board, day, person))
    assert "Негоден к военной службе (категория D)" in form.text and "Годен к военной службе (категория A)" in form.text
    assert "Fit for military service" not in form.text and "temporarily_unfit" not in form.text
