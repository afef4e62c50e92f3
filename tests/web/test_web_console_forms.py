"""Each console form is offered only to an officer who may act on it: the author of a decision does not see the
form to decide its appeal (the service refuses it anyway, keeping what was typed), the appeal links to the decision
it contests, and an auditor sees contact-change requests without forms to decide them."""

from __future__ import annotations

import re

from web_support import csrf_of, signed_in


def test_the_author_of_a_decision_is_not_offered_its_appeal_and_the_appeal_links_to_the_decision(site):
    from test_web_cases import _appeal, _apply

    a = site.regions[0]
    cit = site.in_region(a)[7]
    c = signed_in(site, citizen=cit)
    assert _apply(c, ground="study").status_code == 303
    case_id = re.search(r'id="case-(\d+)"', c.get("/portal/cases").text).group(1)
    officer = signed_in(site, user=f"officer-{a}")
    form = officer.get(f"/console/cases/{case_id}")
    decided = officer.post(f"/console/cases/{case_id}/decision", data={"csrf": csrf_of(form.text), "decision": "refuse",
                                                                         "reason": "no certificate of enrolment"})
    assert decided.status_code == 303
    assert _appeal(c, case_id, "the certificate is attached").status_code == 303
    appeal_id = max(int(n) for n in re.findall(r'id="case-(\d+)"', c.get("/portal/cases").text))

    own = officer.get(f"/console/cases/{appeal_id}")
    assert own.status_code == 200 and f'href="/console/cases/{case_id}"' in own.text and "no certificate of enrolment" in own.text
    assert 'name="decision"' not in own.text and "contests your own decision" in own.text
    forged = officer.post(f"/console/cases/{appeal_id}/decision", data={"csrf": csrf_of(own.text), "decision": "uphold",
                                                                          "reason": "my decision stands"})
    assert forged.status_code == 409 and "There is a problem" in forged.text and "another officer decides it" in forged.text
    assert 'name="decision"' not in forged.text
    other = signed_in(site, user="admin").get(f"/console/cases/{appeal_id}")
    assert 'name="decision"' in other.text and f'href="/console/cases/{case_id}"' in other.text


def test_an_auditor_sees_contact_requests_but_no_form_to_decide_them(site):
    a = site.regions[0]
    cit = site.in_region(a)[8]
    c = signed_in(site, citizen=cit)
    page = c.get("/portal/contact")
    sent = c.post("/portal/contact", data={"csrf": csrf_of(page.text), "email": "new.address@example.org"})
    assert sent.status_code in (200, 303), sent.text[:500]
    officer = signed_in(site, user=f"officer-{a}").get("/console")
    request_id = re.search(r'action="/console/contact/(\d+)"', officer.text).group(1)
    auditor = signed_in(site, user="auditor").get("/console")
    assert auditor.status_code == 200 and "new.address@example.org" in auditor.text
    assert f"/console/contact/{request_id}" not in auditor.text and 'value="confirm"' not in auditor.text
