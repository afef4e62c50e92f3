"""The regional officer's console: a person's file lists every case, summons and service record of the
person with links to each; case and service record pages name the person; another region's officer
reaches none of it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
from sqlalchemy import text

from callup.audit import entries
from callup.cases import deferrals, medical
from callup.context import Actor, Role, make_actor
from callup.examples import path as example
from callup.military_service import induction
from callup.military_service.units import import_units
from callup.uow import UnitOfWork
from campaign_helpers import on_day
from web_support import ISSUE_DAY, signed_in


def _inducted(site, cit):  # noqa: ANN001, ANN202
    """`cit` examined (category A) and inducted: a medical case and a service record besides the summons."""
    day = on_day(site.admin, ISSUE_DAY)
    with UnitOfWork(day) as uow:
        if not uow.execute(text("SELECT 1 FROM units LIMIT 1")).first():
            import_units(uow, example("units/republic-of-example.csv"))
        case = medical.open_examination(uow, "spring-2027", cit.national_id)
    with UnitOfWork(dataclasses.replace(day, actor=make_actor("board", "medical", regions=cit.region))) as uow:
        medical.decide_fitness(uow, case.id, "A")
    with UnitOfWork(day) as uow:
        record = induction.induct(uow, "spring-2027", cit.national_id, unit="3-SIG", start=dt.date(2027, 5, 1)).record
    return case.id, record.id


def test_a_person_s_file_lists_their_cases_summonses_and_service_records_with_links_to_each(site):
    a = site.regions[0]
    cit = site.in_region(a)[3]
    with UnitOfWork(site.admin.with_actor(Actor("citizen", Role.citizen, person_id=cit.national_id))) as uow:
        deferral = deferrals.apply_for_deferral(uow, "spring-2027", cit.national_id, "study", evidence="UNI-20").case.id
    with UnitOfWork(site.admin) as uow:
        deferrals.decide_deferral(uow, deferral, "refuse", reason="no enrolment on file")
    exam, record = _inducted(site, cit)
    officer = signed_in(site, user=f"officer-{a}")
    page = officer.get(f"/console/people/{cit.national_id}", params={"reason": "checking the service record"})
    assert page.status_code == 200
    name = re.search(r"<h1>([^<]+)</h1>", page.text).group(1)
    assert " " in name and cit.national_id not in name  # the person's name heads the page
    for link in (f'/console/cases/{deferral}"', f'/console/cases/{exam}"', f'/console/summons/{cit.reference}"',
                 f'/console/service/{record}"'):
        assert link in page.text, link
    assert "Deferral" in page.text or "deferral" in page.text
    case_page = officer.get(f"/console/cases/{deferral}")
    assert case_page.status_code == 200 and name in case_page.text  # the case names the person too
    service = officer.get(f"/console/service/{record}")
    assert service.status_code == 200 and name in service.text and "3-SIG" in service.text
    views = {e.details.get("view") for e in entries(site.admin.engine(), person_id=cit.national_id, action="person.read")}
    assert {"register", "cases", f"service:{record}"} <= views, views

    other = signed_in(site, user=f"officer-{site.regions[1]}")
    assert other.get(f"/console/service/{record}").status_code == 404
    assert other.get(f"/console/people/{cit.national_id}", params={"reason": "curious"}).status_code == 404


def test_the_second_officer_to_decide_a_case_is_told_it_changed_and_sees_its_new_state(site):
    from web_support import csrf_of

    a = site.regions[0]
    cit = site.in_region(a)[4]
    with UnitOfWork(site.admin.with_actor(Actor("citizen", Role.citizen, person_id=cit.national_id))) as uow:
        case_id = deferrals.apply_for_deferral(uow, "spring-2027", cit.national_id, "study", evidence="UNI-4").case.id
    first, second = signed_in(site, user=f"officer-{a}"), signed_in(site, user="admin")
    pages = [c.get(f"/console/cases/{case_id}") for c in (first, second)]  # both open the case before either decides
    assert all('name="version"' in p.text for p in pages)
    version = re.search(r'name="version" value="(\d+)"', pages[0].text).group(1)
    done = first.post(f"/console/cases/{case_id}/decision", data={
        "csrf": csrf_of(pages[0].text), "decision": "refuse", "reason": "no enrolment on file", "version": version})
    assert done.status_code == 303
    late = second.post(f"/console/cases/{case_id}/decision", data={
        "csrf": csrf_of(pages[1].text), "decision": "grant", "reason": "enrolled until June", "version": version})
    assert late.status_code == 409 and "The case changed while you were deciding" in late.text
    assert "There is a problem" in late.text and "Deferral refused" in late.text and "no enrolment on file" in late.text
    assert 'name="decision"' not in late.text  # decided: nothing is left to decide
    second.cookies.set("callup_lang", "ru")
    again = second.post(f"/console/cases/{case_id}/decision", data={
        "csrf": csrf_of(pages[1].text), "decision": "grant", "reason": "enrolled until June", "version": version})
    assert again.status_code == 409 and "Дело изменилось, пока вы принимали решение" in again.text


def _expected_day(site, region):  # noqa: ANN001, ANN202
    """The office and day with the most appointments of `region`, and its citizens with their summons."""
    from collections import Counter

    from callup.notices import service as notices

    with UnitOfWork(site.admin, write=False) as uow:
        views = {c.reference: notices.view(uow, c.reference) for c in site.in_region(region)}
    (office, day), _ = Counter((v.office, v.date) for v in views.values()).most_common(1)[0]
    return office, day, [c for c in site.in_region(region) if (views[c.reference].office, views[c.reference].date) == (office, day)]


def test_an_office_records_a_day_s_appearances_in_one_submit_and_a_refused_line_keeps_every_choice(site):
    from callup.context import FixedClock
    from callup.notices import service as notices
    from web_support import csrf_of

    a = site.regions[0]
    office, day, people = _expected_day(site, a)
    assert len(people) >= 4, len(people)
    delivered, undelivered = people[:3], people[3]
    with UnitOfWork(site.admin) as uow:
        for c in delivered:
            notices.acknowledge(uow, c.reference, evidence="acknowledged at the counter")
    clock = FixedClock(dt.datetime.combine(day, dt.time(11), tzinfo=dt.UTC))
    officer = signed_in(site, user=f"officer-{a}", clock=clock)
    sheet = officer.get("/console/day", params={"office": office})
    assert sheet.status_code == 200
    for c in delivered:
        assert f'name="outcome-{c.reference}"' in sheet.text
    assert f'name="outcome-{undelivered.reference}"' not in sheet.text and "Not delivered" in sheet.text
    assert signed_in(site, user="auditor", clock=clock).get("/console/day", params={"office": office}).text.count('type="radio"') == 0

    forged = {"csrf": csrf_of(sheet.text), "office": office, f"outcome-{delivered[0].reference}": "appeared",
              f"outcome-{delivered[1].reference}": "no_show", f"outcome-{undelivered.reference}": "no_show"}
    refused = officer.post("/console/day", data=forged)
    assert refused.status_code == 409 and "There is a problem" in refused.text
    assert f'href="#outcome-{undelivered.reference}"' in refused.text and "Nothing was recorded" in refused.text
    assert 'value="appeared" checked' in refused.text and 'value="no_show" checked' in refused.text  # the choices are kept
    with UnitOfWork(site.admin, write=False) as uow:
        assert all(notices.view(uow, c.reference).appearance is None for c in people)

    with UnitOfWork(dataclasses.replace(site.admin, actor=make_actor("colleague", "officer", regions=a), clock=clock)) as uow:
        notices.record_appearance(uow, delivered[2].reference, "appeared", shown=None)  # a colleague, from the summons page
    raced = officer.post("/console/day", data={**{k: v for k, v in forged.items() if undelivered.reference not in k},
                                               f"outcome-{delivered[2].reference}": "no_show"})
    assert raced.status_code == 409 and "Already recorded by someone else" in raced.text

    done = officer.post("/console/day", data={k: v for k, v in forged.items() if undelivered.reference not in k})
    assert done.status_code == 303 and "done=2" in done.headers["location"]
    with UnitOfWork(site.admin, write=False) as uow:
        assert [notices.view(uow, c.reference).appearance for c in delivered] == ["appeared", "no_show", "appeared"]
    changes = [e for e in entries(site.admin.engine(), action="notices.change") if e.details.get("step") == "appearance"]
    assert sorted(e.details["reference"] for e in changes) == sorted(c.reference for c in delivered)  # one entry each
    after = officer.get("/console/day", params={"office": office, "done": 2})
    assert "Appearances recorded: 2." in after.text and after.text.count('type="radio"') == 0
    officer.cookies.set("callup_lang", "ru")
    assert "Лист дня" in officer.get("/console/day", params={"office": office}).text


def test_no_one_inducted_is_recorded_as_not_appearing_though_they_may_be_recorded_as_appeared(site):
    from callup.context import FixedClock
    from callup.notices import service as notices
    from callup.notices.errors import NoticeStateError

    a = site.regions[0]
    cit = site.in_region(a)[5]
    with UnitOfWork(site.admin) as uow:
        view = notices.acknowledge(uow, cit.reference, evidence="acknowledged at the counter")
    _inducted(site, cit)
    clock = FixedClock(dt.datetime.combine(view.date, dt.time(17), tzinfo=dt.UTC))
    officer = dataclasses.replace(site.admin, actor=make_actor("officer", "officer", regions=a), clock=clock)
    with UnitOfWork(officer) as uow, pytest.raises(NoticeStateError, match="inducted") as refused:
        notices.record_appearance(uow, cit.reference, "no_show")
    assert refused.value.field == "outcome"
    page = signed_in(site, user=f"officer-{a}", clock=clock).get(f"/console/summons/{cit.reference}")
    assert 'value="appeared"' in page.text and 'value="no_show"' not in page.text  # the page offers only what can be taken
    sheet = signed_in(site, user=f"officer-{a}", clock=clock).get("/console/day", params={"office": view.office})
    assert f'id="appeared-{cit.reference}"' in sheet.text and f'id="no_show-{cit.reference}"' not in sheet.text
    with UnitOfWork(officer) as uow:
        assert notices.record_appearance(uow, cit.reference, "appeared").appearance == "appeared"


def test_rejecting_a_contact_change_without_its_reason_comes_back_to_the_queue_with_the_error_beside_the_field(site):
    from web_support import csrf_of

    a = site.regions[0]
    cit = site.in_region(a)[6]
    citizen = signed_in(site, citizen=cit)
    form = citizen.get("/portal/contact")
    assert citizen.post("/portal/contact", data={"csrf": csrf_of(form.text), "phone": "+1 555 0123"}).status_code == 303
    officer = signed_in(site, user=f"officer-{a}")
    queue = officer.get("/console")
    request_id = re.search(r'action="/console/contact/(\d+)"', queue.text).group(1)
    refused = officer.post(f"/console/contact/{request_id}", data={"csrf": csrf_of(queue.text), "decision": "reject"})
    assert refused.status_code == 422 and "There is a problem" in refused.text
    assert f'href="#reason-{request_id}"' in refused.text and f'id="reason-{request_id}-error"' in refused.text
    assert "Write the reason for rejecting the request." in refused.text and "+1 555 0123" in refused.text
    officer.cookies.set("callup_lang", "ru")
    again = officer.post(f"/console/contact/{request_id}", data={"csrf": csrf_of(queue.text), "decision": "reject"})
    assert again.status_code == 422 and "Укажите причину отказа по заявке." in again.text
