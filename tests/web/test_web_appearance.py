"""Appearances in the console and on the portal: the form is offered only for a delivered summons on or after its
appointment's day and only to a role that may record it; a forged post is refused by the service with the error
summary; the citizen reads the recorded outcome in plain words (English and Russian). A decision with a date in the
wrong format comes back with everything typed kept."""

from __future__ import annotations

import datetime as dt
import re

from callup.context import FixedClock
from callup.notices import service as notices
from callup.uow import UnitOfWork
from web_support import csrf_of, signed_in


def _view(site, reference):  # noqa: ANN001, ANN202
    with UnitOfWork(site.admin, write=False) as uow:
        return notices.view(uow, reference)


def test_the_appearance_form_waits_for_delivery_and_the_day_and_the_citizen_reads_the_outcome(site):
    a = site.regions[0]
    cit = site.in_region(a)[5]
    officer = signed_in(site, user=f"officer-{a}")
    page = officer.get(f"/console/summons/{cit.reference}")
    assert page.status_code == 200 and 'name="outcome"' not in page.text
    assert "once the summons has been delivered" in page.text
    forged = officer.post(f"/console/summons/{cit.reference}/appearance", data={"csrf": csrf_of(page.text), "outcome": "no_show"})
    assert forged.status_code == 409 and "There is a problem" in forged.text and 'href="#outcome"' in forged.text
    assert re.search(r"<title>Error: ", forged.text) and "not been delivered" in forged.text
    assert _view(site, cit.reference).appearance is None

    with UnitOfWork(site.admin) as uow:
        notices.acknowledge(uow, cit.reference, evidence="acknowledged at the counter")
    before = officer.get(f"/console/summons/{cit.reference}")
    assert 'name="outcome"' not in before.text and "from the day of the appointment on" in before.text
    early = officer.post(f"/console/summons/{cit.reference}/appearance", data={"csrf": csrf_of(before.text), "outcome": "no_show"})
    assert early.status_code == 409 and "on or after that day" in early.text
    assert _view(site, cit.reference).appearance is None

    view = _view(site, cit.reference)
    day = FixedClock(dt.datetime.combine(view.date, view.end, tzinfo=dt.UTC))
    assert 'name="outcome"' not in signed_in(site, user="auditor", clock=day).get(f"/console/summons/{cit.reference}").text
    on_day = signed_in(site, user=f"officer-{a}", clock=day)
    form = on_day.get(f"/console/summons/{cit.reference}")
    assert 'name="outcome"' in form.text
    done = on_day.post(f"/console/summons/{cit.reference}/appearance", data={"csrf": csrf_of(form.text), "outcome": "no_show"})
    assert done.status_code == 303 and _view(site, cit.reference).appearance == "no_show"

    citizen = signed_in(site, citizen=cit, clock=day)
    for path in ("/portal", f"/portal/summons/{cit.reference}"):
        assert "you did not come to your appointment" in citizen.get(path).text
    citizen.cookies.set("callup_lang", "ru")
    assert "вы не явились на приём" in citizen.get(f"/portal/summons/{cit.reference}").text


def test_a_date_in_the_wrong_format_keeps_the_decision_and_its_reasons(site):
    from test_web_cases import _apply

    a = site.regions[0]
    cit = site.in_region(a)[6]
    c = signed_in(site, citizen=cit)
    assert _apply(c, ground="study").status_code == 303
    case_id = re.search(r'id="case-(\d+)"', c.get("/portal/cases").text).group(1)
    officer = signed_in(site, user=f"officer-{a}")
    form = officer.get(f"/console/cases/{case_id}")
    wrong = officer.post(f"/console/cases/{case_id}/decision", data={
        "csrf": csrf_of(form.text), "decision": "grant", "reason": "enrolled until the summer", "until": "31/03/2028"})
    assert wrong.status_code == 422 and "There is a problem" in wrong.text and 'href="#until"' in wrong.text
    assert 'value="grant" required checked' in wrong.text and "enrolled until the summer</textarea>" in wrong.text
    assert 'value="31/03/2028"' in wrong.text and 'id="until-error"' in wrong.text
    assert "31/03/2028" not in wrong.text.split("<main")[0]  # the typed value is not echoed into the title
