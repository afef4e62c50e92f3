"""Recording a contract in the console: the form is offered on a serving conscript's record to the roles that may
record one, refusals say which of the policy's conditions is not met (English and Russian) beside the day with what was
typed kept, and a recorded contract shows the new contract record continuing the conscript one."""

from __future__ import annotations

import datetime as dt
import re

from callup.cases import medical
from callup.context import FixedClock, make_actor
from callup.examples import path as example
from callup.military_service import induction
from callup.military_service.units import import_units
from callup.uow import UnitOfWork
from web_support import csrf_of, signed_in

CAMPAIGN = "spring-2027"
START = dt.date(2027, 2, 1)


def _serving(site):  # noqa: ANN001, ANN202
    """A conscript of the busiest region inducted on START: (record id, region, citizen)."""
    import dataclasses

    region = site.regions[0]
    person = site.in_region(region)[11]
    with UnitOfWork(site.admin) as uow:
        from sqlalchemy import text

        if not uow.execute(text("SELECT 1 FROM units LIMIT 1")).first():
            import_units(uow, example("units/republic-of-example.csv"))
        case = medical.open_examination(uow, CAMPAIGN, person.national_id).id
    board = dataclasses.replace(site.admin, actor=make_actor("board", "medical", regions=region))
    with UnitOfWork(board) as uow:
        medical.decide_fitness(uow, case, "B")
    with UnitOfWork(site.admin) as uow:
        return induction.induct(uow, CAMPAIGN, person.national_id, unit="3-SIG", start=START).record.id, region, person


def test_an_officer_records_a_contract_after_the_policy_s_months_and_is_told_plainly_before(site):
    record, region, person = _serving(site)
    may = FixedClock(dt.datetime(2027, 5, 3, 9, tzinfo=dt.UTC))
    officer = signed_in(site, user=f"officer-{region}", clock=may)
    page = officer.get(f"/console/service/{record}")
    assert page.status_code == 200 and f'action="/console/service/{record}/contract"' in page.text
    assert 'value="2027-05-03"' in page.text  # today, as a starting value
    for user in ("auditor", f"medical-{region}"):
        assert "/contract" not in signed_in(site, user=user, clock=may).get(f"/console/service/{record}").text

    early = officer.post(f"/console/service/{record}/contract",
                         data={"csrf": csrf_of(page.text), "signed_on": "2027-04-20", "note": "K-2027-17"})
    assert early.status_code == 409 and "There is a problem" in early.text
    assert "does not meet the policy&#39;s conditions for a contract on that day: 2 whole months served; the policy asks at " \
           "least 3." in early.text
    assert 'value="2027-04-20"' in early.text and 'value="K-2027-17"' in early.text and 'aria-invalid="true"' in early.text
    officer.cookies.set("callup_lang", "ru")
    russian = officer.post(f"/console/service/{record}/contract",
                           data={"csrf": csrf_of(page.text), "signed_on": "2027-04-20", "note": ""})
    assert "Есть ошибка" in russian.text and "не отвечает условиям закона для контракта: прослужено полных месяцев: 2; " \
        "требуется не меньше 3." in russian.text
    bad = officer.post(f"/console/service/{record}/contract", data={"csrf": csrf_of(page.text), "signed_on": "20.04.2027"})
    assert bad.status_code == 422 and "ГГГГ-ММ-ДД" in bad.text and 'value="20.04.2027"' in bad.text
    officer.cookies.set("callup_lang", "en")

    done = officer.post(f"/console/service/{record}/contract",
                        data={"csrf": csrf_of(page.text), "signed_on": "2027-05-01", "note": "K-2027-17"})
    assert done.status_code == 303
    contract = int(re.search(r"/console/service/(\d+)\?done=contract", done.headers["location"]).group(1))
    shown = officer.get(f"/console/service/{contract}?done=contract")
    assert "The contract was recorded" in shown.text and "Contract soldier" in shown.text
    assert f'href="/console/service/{record}"' in shown.text and "/contract\"" not in shown.text  # no second contract
    ended = officer.get(f"/console/service/{record}")
    assert "Ended: signed a contract" in ended.text and 'name="signed_on"' not in ended.text
    portal = signed_in(site, citizen=person, clock=may).get("/portal")  # the person sees both records, each in words
    assert portal.status_code == 200 and "Contract soldier" in portal.text and "Ended: signed a contract" in portal.text
    assert len(set(re.findall(r'id="(service-\d+)"', portal.text))) == 2
