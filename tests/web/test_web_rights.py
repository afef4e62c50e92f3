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
    wording = next(t for t in load_templates().values() if t.text["title"] in letter)  # the person's language
    named = [key for key in ("deferral", "exemption", "alternative", "appeal") if wording.text[f"{key}_heading"] in letter]
    assert named == [{"civilian_service": "alternative"}.get(code, code) for code in offered]
    from callup.cases import rights
    from callup.context import Actor, Role
    from callup.notices import service as notices
    from callup.uow import UnitOfWork

    with UnitOfWork(site.admin.with_actor(Actor("citizen", Role.citizen, person_id=cit.national_id)), write=False) as uow:
        due = rights.summons_deadlines(uow, notices.view(uow, cit.reference))
    assert wording.text["deadline_apply"].format(date=wording.date(due.apply_by)) in letter
    assert wording.text["deadline_appeal"].format(date=wording.date(due.appeal_by)) in letter
    for day in (due.apply_by, due.appeal_by):  # the same days on the portal's panel
        assert EN.date(day) in page


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
    page = c.get("/portal/rights/appeal_decision/ask?case=x")
    for case in ("x", "", "-1", "99999999999"):
        r = c.post("/portal/rights/appeal_decision", data={"csrf": csrf_of(page.text), "go": "send", "reason": "r", "case": case})
        assert r.status_code in (404, 409) and "Traceback" not in r.text


def test_a_medical_release_says_there_is_no_need_to_attend_with_the_re_examination_date_and_hides_the_appointment(site):
    import dataclasses

    from callup.cases import medical
    from callup.context import make_actor
    from callup.uow import UnitOfWork

    cit = site.citizens[60]
    with UnitOfWork(site.admin) as uow:
        case = medical.open_examination(uow, "spring-2027", cit.national_id)
    board = dataclasses.replace(site.admin, actor=make_actor("board", "medical", regions=cit.region))
    with UnitOfWork(board) as uow:
        found = medical.decide_fitness(uow, case.id, "G", reexamine_on=dt.date(2027, 9, 1))
    c = signed_in(site, citizen=cit)
    status = c.get("/portal").text
    assert f"You do not need to attend; re-examination by {EN.date(found.reexamine_on)}." in status
    assert "Your appointment" not in status and "Come to your appointment" not in status
    summons = c.get(f"/portal/summons/{cit.reference}")
    if "Before you open your summons" in summons.text:
        c.post(f"/portal/summons/{cit.reference}/open", data={"csrf": csrf_of(summons.text)})
        summons = c.get(f"/portal/summons/{cit.reference}")
    assert "re-examination by" in summons.text and "<dt>Date</dt>" not in summons.text
    ru = c.get("/portal", headers={"accept-language": "ru"}).text
    assert "Являться не нужно; повторное освидетельствование до" in ru


def test_a_refused_appeal_says_the_decision_stays_and_names_the_next_remedy(site):
    from callup.cases import appeals, deferrals
    from callup.context import Actor, Role, make_actor
    from callup.uow import UnitOfWork

    cit = site.citizens[61]
    me = site.admin.with_actor(Actor("citizen", Role.citizen, person_id=cit.national_id))
    with UnitOfWork(me) as uow:
        case = deferrals.apply_for_deferral(uow, "spring-2027", cit.national_id, "children", evidence="BC-1").case
    with UnitOfWork(site.admin) as uow:
        deferrals.decide_deferral(uow, case.id, "refuse", reason="the children are older than three")
    c = signed_in(site, citizen=cit)
    page = c.get(f"/portal/rights/appeal_decision/ask?case={case.id}")
    blank = c.post("/portal/rights/appeal_decision", data={"csrf": csrf_of(page.text), "step": "reason", "go": "continue",
                                                           "reason": " ", "case": str(case.id)})
    assert blank.status_code == 422 and "Write why you appeal." in blank.text
    sent = c.post("/portal/rights/appeal_decision", data={"csrf": csrf_of(page.text), "go": "send", "case": str(case.id),
                                                          "reason": "one of them is two years old"})
    assert sent.status_code == 303
    appeal_id = int(sent.headers["location"].rsplit("/", 1)[1])
    other = site.admin.with_actor(make_actor("second-officer", "officer", regions=cit.region))
    with UnitOfWork(other) as uow:
        appeals.decide_appeal(uow, appeal_id, "uphold", reason="the birth certificates show otherwise")
    cases = c.get("/portal/cases").text
    assert "Appeal refused: the decision stays" in cases and "upheld" not in cases
    assert "you can take it to the district administrative court" in cases
    assert f"the decision on case {case.id}" in cases


def test_an_appeal_of_the_summons_allowed_by_an_officer_ends_the_call(site):
    cit = site.citizens[62]
    c = signed_in(site, citizen=cit)
    check = _walk(c, "appeal", [{"reason": "I left the country for good in 2020."}])
    sent = _send(c, "appeal", check, {"reason": "I left the country for good in 2020."})
    appeal_id = int(sent.headers["location"].rsplit("/", 1)[1])
    admin = signed_in(site, user="admin")  # the console: the appeal says it contests the summons itself
    form = admin.get(f"/console/cases/{appeal_id}")
    assert form.status_code == 200 and "The summons itself" in form.text and 'value="overturn"' in form.text
    done = admin.post(f"/console/cases/{appeal_id}/decision", data={"csrf": csrf_of(form.text), "decision": "overturn",
                                                                   "reason": "the register confirms the emigration"})
    assert done.status_code == 303, done.text[:2000]
    status = c.get("/portal").text
    assert "You do not need to attend: your appeal against the summons was allowed." in status
    assert "Come to your appointment" not in status and 'href="/portal/rights/deferral"' not in status


def test_a_text_too_long_is_refused_on_its_page_with_the_text_kept(site):
    cit = site.citizens[63]
    c = signed_in(site, citizen=cit)
    page = c.get("/portal/rights/civilian_service/ask")
    long = "I cannot. " * 600  # 6,000 characters: an hour's statement
    r = c.post("/portal/rights/civilian_service", data={"csrf": csrf_of(page.text), "step": "statement", "go": "continue",
                                                        "statement": long})
    assert r.status_code == 422 and "shorten it to 2,000 characters" in r.text and long.strip() in r.text
