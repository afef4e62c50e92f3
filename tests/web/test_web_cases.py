"""Case work on the web: a citizen applies for deferral with an uploaded document, an officer of the
region decides it in the console, the citizen sees the decision with its reasons and deadline and
who read the record, and appeals; uploads are checked by content and size and never reach others."""

from __future__ import annotations

import re

import pytest

from web_support import csrf_of, signed_in

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _apply(c, *, ground="health", data=PDF, name="decision.pdf"):  # noqa: ANN001, ANN202
    """Apply for a deferral through its journey (ground, then the document); the answer to sending it."""
    page = c.get("/portal/rights/deferral/ask")
    assert page.status_code == 200
    answers = {"ground": ground, "evidence": "board 2027/17"}
    page = c.post("/portal/rights/deferral", data={"csrf": csrf_of(page.text), "step": "ground", "go": "continue", **answers})
    page = c.post("/portal/rights/deferral", data={"csrf": csrf_of(page.text), "step": "evidence", "go": "continue", **answers},
                  files={"document": (name, data, "application/pdf")})
    if page.status_code != 200:
        return page  # the document was refused on its page
    upload = re.search(r'name="upload" value="([^"]*)"', page.text).group(1)
    return c.post("/portal/rights/deferral", data={"csrf": csrf_of(page.text), "go": "send", "upload": upload, **answers})


def _appeal(c, case_id, reason):  # noqa: ANN001, ANN202
    """Appeal the decision of case `case_id` through its journey; the answer to sending it."""
    page = c.get(f"/portal/rights/appeal_decision/ask?case={case_id}")
    return c.post("/portal/rights/appeal_decision", data={"csrf": csrf_of(page.text), "go": "send", "reason": reason,
                                                          "case": str(case_id)})


def test_a_deferral_with_an_upload_is_decided_in_the_console_and_the_citizen_sees_the_decision_and_appeals(site):
    a = site.regions[0]
    cit = site.in_region(a)[1]
    c = signed_in(site, citizen=cit)
    r = _apply(c)
    assert r.status_code == 303, r.text[:2000]
    page = c.get("/portal/cases")
    assert "Waiting for a decision" in page.text and "Temporary unfitness (fitness category G)" in page.text
    doc = re.search(r'href="/portal/documents/([A-Z2-7]+)"', page.text).group(1)
    got = c.get(f"/portal/documents/{doc}")
    assert got.content == PDF and got.headers["content-type"] == "application/pdf"
    case_id = re.search(r'id="case-(\d+)"', page.text).group(1)

    officer_b = signed_in(site, user=f"officer-{site.regions[1]}")
    assert officer_b.get(f"/console/cases/{case_id}").status_code == 404
    assert officer_b.get(f"/console/documents/{doc}").status_code == 404
    assert signed_in(site, citizen=site.in_region(a)[2]).get(f"/portal/documents/{doc}").status_code == 404

    officer = signed_in(site, user=f"officer-{a}")
    queue = officer.get("/console/cases")
    assert f'href="/console/cases/{case_id}"' in queue.text
    form = officer.get(f"/console/cases/{case_id}")
    assert "board 2027/17" in form.text and officer.get(f"/console/documents/{doc}").content == PDF
    assert "upload:" not in form.text and "Uploaded document 1" in form.text  # a named document, not the raw reference
    no_reason = officer.post(f"/console/cases/{case_id}/decision", data={"csrf": csrf_of(form.text), "decision": "grant"})
    assert no_reason.status_code in (409, 422) and 'role="alert"' in no_reason.text
    done = officer.post(f"/console/cases/{case_id}/decision", data={"csrf": csrf_of(form.text), "decision": "refuse",
                                                                      "reason": "the board's decision is not attached"})
    assert done.status_code == 303, done.text[:2000]

    mine = c.get("/portal/cases")
    assert "Deferral refused" in mine.text and "the board&#39;s decision is not attached" in mine.text and "Appeal by" in mine.text
    reads = c.get("/portal/reads")
    assert "case work in the console" in reads.text and "reading an uploaded document" in reads.text
    assert f'href="/portal/rights/appeal_decision?case={case_id}"' in mine.text
    appeal = _appeal(c, case_id, "the decision is attached now")
    assert appeal.status_code == 303, appeal.text[:2000]
    after = c.get("/portal/cases")
    assert "Waiting for a decision on the appeal" in after.text
    assert f"appeal_decision?case={case_id}" not in after.text  # one appeal per decision


@pytest.mark.parametrize("data,name,why", [(b"just text, not a document", "letter.pdf", "not a PDF, JPEG or PNG"),
                                           (b"", "empty.pdf", "The file is empty"),
                                           (b"%PDF-" + b"0" * (5 * 1024 * 1024), "big.pdf", "larger than 5 MB")])
def test_uploads_are_checked_by_content_and_size(site, data, name, why):
    cit = site.in_region(site.regions[0])[4]
    r = _apply(signed_in(site, citizen=cit), data=data, name=name)
    assert r.status_code == 422 and why in r.text and 'aria-invalid="true"' in r.text


def test_an_application_for_civilian_service_states_its_reasons(site):
    cit = site.in_region(site.regions[0])[7]
    c = signed_in(site, citizen=cit)
    page = c.get("/portal/rights/civilian_service/ask")
    empty = c.post("/portal/rights/civilian_service", data={"csrf": csrf_of(page.text), "go": "send", "statement": "  "})
    assert empty.status_code == 422 and 'href="#statement"' in empty.text
    assert _civilian_cases(c.get("/portal/cases").text) == []
    r = c.post("/portal/rights/civilian_service", data={"csrf": csrf_of(page.text), "go": "send", "statement": "I cannot bear arms."})
    assert r.status_code == 303
    assert _civilian_cases(c.get("/portal/cases").text) == ["Waiting for a decision"]


def _civilian_cases(page: str) -> list[str]:
    """The states of the civilian-service cases listed under "My cases" (the forms below them name the service too)."""
    cards = re.findall(r'<h3 id="case-\d+">([^<]*)</h3>.*?<span class="badge">([^<]*)</span>', page, re.S)
    return [state for heading, state in cards if "civilian service" in heading.lower()]


@pytest.mark.parametrize("number", [2**31, 2**63 - 1])
def test_a_case_or_request_number_too_large_for_any_row_is_not_found_not_a_server_error(site, number):
    """PostgreSQL's id columns are 32-bit: such a number reached the database as 'integer out of range' (500)."""
    admin = signed_in(site, user="admin")
    csrf = csrf_of(admin.get("/console/cases").text)
    assert admin.get(f"/console/cases/{number}").status_code == 404
    assert admin.post(f"/console/cases/{number}/decision", data={"csrf": csrf, "decision": "grant", "reason": "r"}).status_code == 404
    assert admin.post(f"/console/contact/{number}", data={"csrf": csrf, "decision": "confirm"}).status_code in (404, 422)
    citizen = signed_in(site, citizen=site.in_region(site.regions[0])[3])
    assert _appeal(citizen, number, "r").status_code in (404, 409, 422)
    assert citizen.get(f"/portal/rights/deferral/sent/{number}").status_code == 404
