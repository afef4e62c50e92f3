"""The citizen's decisions on the portal: the "what you need to do" panel, and every right the letter
names as a short journey (one question per page, checked on the server, check your answers, a
confirmation with the case number), with the letter and the portal agreeing on the rights and dates."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import pytest

from callup.notices.letters import load_templates
from callup.web.i18n import Formats
from web_support import ISSUE_DAY, csrf_of, signed_in

TODAY = ISSUE_DAY  # the site's clock
EN = Formats("en")


def _walk(c, code: str, answers: list[dict], *, case: str = ""):  # noqa: ANN001, ANN202
    """Start the journey of right `code`, answer each page in turn; the check-your-answers page."""
    page = c.get(f"/portal/rights/{code}/ask" + (f"?case={case}" if case else ""))
    assert page.status_code == 200, page.text[:1000]
    carried: dict = {"case": case}
    for answer in answers:
        step = re.search(r'name="step" value="([a-z]+)"', page.text).group(1)
        carried.update(answer)
        page = c.post(f"/portal/rights/{code}", data={"csrf": csrf_of(page.text), "step": step, "go": "continue", **carried})
        assert page.status_code == 200, page.text[:2000]
    assert "Check your answers before sending" in page.text
    return page


def _send(c, code: str, check_page, carried: dict):  # noqa: ANN001, ANN202
    return c.post(f"/portal/rights/{code}", data={"csrf": csrf_of(check_page.text), "go": "send", **carried})


def test_the_status_page_says_what_to_do_by_when_with_a_link_to_each_right(site):
    cit = site.citizens[50]
    c = signed_in(site, citizen=cit)
    page = c.get("/portal").text
    panel = page[page.index("What you need to do"):page.index("How you were chosen")]
    assert "your identity document" in panel and "the summons letter" in panel  # what to bring, from the policy
    appointment = re.search(r"<dt>When</dt><dd>([^<]+)</dd>", panel).group(1)
    assert appointment.startswith(appointment.split(",")[0]) and str(TODAY.year) in appointment
    assert re.search(r"Apply for a deferral, an exemption or civilian service</span>:\s*<strong>[^<]+</strong> \(\d+ days left\)", panel)
    for code in ("deferral", "exemption", "civilian_service", "appeal"):
        assert f'href="/portal/rights/{code}"' in panel
    assert "<details>" in page and "Lottery rank" in page[page.index("How you were chosen"):]
    ru = c.get("/portal", headers={"accept-language": "ru"}).text
    assert "Что нужно сделать" in ru and "документ, удостоверяющий личность" in ru and "дн" in ru


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed")
def test_the_letter_and_the_portal_name_the_same_rights_with_the_same_deadlines(site, tmp_path):
    cit = site.citizens[51]
    c = signed_in(site, citizen=cit)
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(c.get(f"/portal/summons/{cit.reference}/letter.pdf").content)
    letter = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout.split())
    page = c.get("/portal").text
    offered = re.findall(r'href="/portal/rights/([a-z_]+)"', page)
    wording = load_templates()["en"]
    named = [key for key in ("deferral", "exemption", "alternative", "appeal") if wording.text[f"{key}_heading"] in letter]
    assert named == [{"civilian_service": "alternative"}.get(code, code) for code in offered]
    apply_by = re.search(r"apply by (\d+ \w+ \d{4})", letter).group(1)
    appeal_by = re.search(r"appeal by (\d+ \w+ \d{4})", letter).group(1)
    for day in (apply_by, appeal_by):
        assert EN.date(dt.datetime.strptime(day, "%d %B %Y").date()) in page


@pytest.mark.parametrize("code,answers,done", [
    ("deferral", [{"ground": "children"}, {"evidence": "birth certificates 12/2026"}], "Application sent"),
    ("exemption", [{"ground": "prior_service"}, {"evidence": "service record SR-1"}], "Application sent"),
    ("civilian_service", [{"statement": "My conscience does not let me bear arms."}], "Application sent"),
    ("appeal", [{"reason": "I am not a citizen of this republic."}], "Appeal sent"),
])
def test_each_right_is_a_journey_ending_with_the_case_number_and_the_decision_date(site, code, answers, done):
    cit = site.citizens[52 + ["deferral", "exemption", "civilian_service", "appeal"].index(code)]
    c = signed_in(site, citizen=cit)
    start = c.get(f"/portal/rights/{code}")
    assert "Start now" in start.text and "days left" in start.text
    check = _walk(c, code, answers)
    carried = {k: v for a in answers for k, v in a.items()}
    for value in carried.values():
        assert value.replace("'", "&#39;") in check.text or code in ("deferral", "exemption")
    assert "Change" in check.text and "Before you send it" in check.text
    sent = _send(c, code, check, carried)
    assert sent.status_code == 303, sent.text[:2000]
    confirmation = c.get(sent.headers["location"]).text
    case_id = sent.headers["location"].rsplit("/", 1)[1]
    assert done in confirmation and f"<strong>{case_id}</strong>" in confirmation and "What happens next" in confirmation
    days = 20 if code == "appeal" else 30  # the example policy's decision times
    assert EN.date(TODAY + dt.timedelta(days=days)) in confirmation
    status = c.get("/portal").text
    assert f'href="/portal/rights/{code}"' not in status  # used: no longer offered
    again = _send(c, code, check, carried)
    assert again.status_code in (409, 422) and "There is a problem" in again.text


def test_an_empty_or_blank_reason_is_refused_beside_its_field_and_the_answers_are_kept(site):
    cit = site.citizens[57]
    c = signed_in(site, citizen=cit)
    page = c.get("/portal/rights/appeal/ask")
    blank = c.post("/portal/rights/appeal", data={"csrf": csrf_of(page.text), "step": "reason", "go": "continue", "reason": "   "})
    assert blank.status_code == 422
    assert "There is a problem" in blank.text and 'href="#reason"' in blank.text and 'id="reason-error"' in blank.text
    assert "<title>Error:" in blank.text
    page = c.get("/portal/rights/deferral/ask")
    chosen = c.post("/portal/rights/deferral", data={"csrf": csrf_of(page.text), "step": "ground", "go": "continue", "ground": "children"})
    missing = c.post("/portal/rights/deferral", data={"csrf": csrf_of(chosen.text), "step": "evidence", "go": "continue",
                                                      "ground": "children", "evidence": " "})
    assert missing.status_code == 422 and 'href="#evidence"' in missing.text
    assert 'name="ground" value="children"' in missing.text  # the chosen ground is kept
    nothing = c.post("/portal/rights/deferral", data={"csrf": csrf_of(page.text), "step": "ground", "go": "continue"})
    assert nothing.status_code == 422 and 'href="#ground"' in nothing.text
    ru = c.post("/portal/rights/appeal", data={"csrf": csrf_of(page.text), "step": "reason", "go": "continue", "reason": ""},
                headers={"accept-language": "ru"})
    assert ru.status_code == 422 and "Есть ошибка" in ru.text and "Напишите, почему вы подаёте жалобу." in ru.text


def test_a_right_of_someone_else_s_case_or_an_unknown_right_is_not_found(site):
    cit = site.citizens[58]
    c = signed_in(site, citizen=cit)
    assert c.get("/portal/rights/nothing").status_code == 404
    assert c.get("/portal/rights/deferral/sent/1").status_code in (404,)
