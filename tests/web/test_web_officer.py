"""The regional officer's console: a person's file lists every case, summons and service record of the
person with links to each; case and service record pages name the person; another region's officer
reaches none of it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

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
