"""The auditor's pages in the console, on both backends: the audit chain verified (whole, and against a published
anchor; a tampered entry shown as the first broken one), a person's access history in words with the reason
asked, the deployment guardrail report; each view recorded in the audit log; an officer kept out."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import text

from callup import audit
from callup.context import make_actor
from web_support import signed_in

pytestmark = pytest.mark.db


def _auditor_ctx(site):  # noqa: ANN001, ANN202
    return site.admin.with_actor(make_actor("auditor", "auditor"))


def _last(site, action: str) -> audit.Entry:  # noqa: ANN001
    return audit.entries(site.admin.engine(), action=action)[-1]


def _words(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_auditor_verifies_the_whole_chain_and_the_check_is_recorded(site):
    page = signed_in(site, user="auditor").get("/console/audit", params={"check": "chain"})
    assert page.status_code == 200, page.text
    words = _words(page.text)
    assert "The audit log verifies." in words
    counted = re.search(r"([\d,]+) entries were checked, from the first to the last", words)
    assert counted, words
    entry = _last(site, "audit.verify")
    assert (entry.actor, entry.role, entry.details["ok"]) == ("auditor", "auditor", True)
    assert int(counted.group(1).replace(",", "")) == entry.details["count"] == entry.seq - 1  # every entry before the check's own


def test_the_navigation_offers_the_auditor_pages_to_the_auditor_and_not_to_the_officer(site):
    auditor = signed_in(site, user="auditor").get("/console")
    assert 'href="/console/audit"' in auditor.text and 'href="/console/audit/people"' in auditor.text
    officer = signed_in(site, user=f"officer-{site.regions[0]}").get("/console")
    assert 'href="/console/audit"' not in officer.text and 'href="/console/audit/people"' not in officer.text
    assert 'href="/console/audit/guardrail"' in officer.text  # the guardrail report is the officer's too (own regions)
    admin = signed_in(site, user="admin").get("/console")
    assert all(f'href="/console/audit{page}"' in admin.text for page in ("", "/people", "/draws", "/guardrail"))
    assert signed_in(site, user="admin").get("/console/audit", params={"check": "chain"}).status_code == 200


def test_an_officer_cannot_open_the_chain_or_anyone_s_access_history(site):
    officer = signed_in(site, user=f"officer-{site.regions[0]}")
    someone = site.in_region(site.regions[0])[0].national_id
    before = audit.entries(site.admin.engine(), action="audit.verify") + audit.entries(site.admin.engine(), action="audit.history")
    for path, params in (("/console/audit", {"check": "chain"}), ("/console/audit/people", {"national_id": someone, "reason": "curious"})):
        answer = officer.get(path, params=params)
        assert answer.status_code == 403, (path, answer.status_code)
        assert someone not in answer.text
    medical = signed_in(site, user=f"medical-{site.regions[0]}")
    assert medical.get("/console/audit/guardrail").status_code == 403
    after = audit.entries(site.admin.engine(), action="audit.verify") + audit.entries(site.admin.engine(), action="audit.history")
    assert len(after) == len(before)


def test_a_tampered_entry_is_shown_as_the_first_broken_one(site):
    engine = site.admin.engine()
    with engine.begin() as conn:
        original = conn.execute(text("SELECT actor FROM audit_log WHERE seq = 5")).scalar()
        conn.execute(text("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 5"))
    try:
        page = signed_in(site, user="auditor").get("/console/audit", params={"check": "chain"})
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE audit_log SET actor = :a WHERE seq = 5"), {"a": original})
    words = _words(page.text)
    assert "The audit log is broken at entry 5." in words
    assert "Its content does not match its hash: it was edited after it was written." in words
    assert "The 4 entries before it verify." in words
    assert "The audit log verifies." not in words
    entry = _last(site, "audit.verify")
    assert (entry.details["ok"], entry.details["first_bad"]) == (False, 5)


def test_the_chain_is_held_to_a_published_anchor_chosen_from_the_list_or_pasted(site):
    published = audit.chain.publish_anchor(site.admin)
    auditor = signed_in(site, user="auditor")
    page = auditor.get("/console/audit")
    listed = re.search(r'name="anchor" value="(\d+)"', page.text)
    assert listed and published["head_hash"][:16] in page.text
    held = auditor.get("/console/audit", params={"check": "anchor", "anchor": listed.group(1)})
    assert "The chain still contains the anchor: entry {:,} has the hash it published.".format(published["count"]) in _words(held.text)
    entry = _last(site, "audit.verify")
    assert (entry.details["anchor_count"], entry.details["anchor_head"]) == (published["count"], published["head_hash"])

    forged = json.dumps({"head_hash": "ab" * 32, "count": published["count"], "time": "2027-01-01T00:00:00Z"})
    other = auditor.get("/console/audit", params={"check": "anchor", "pasted": forged})
    words = _words(other.text)
    assert "That entry does not have the hash the anchor published" in words and "The chain does not match the anchor." in words

    bad = auditor.get("/console/audit", params={"check": "anchor", "pasted": '{"count": -1}'})
    assert bad.status_code == 422
    assert "There is a problem" in bad.text and 'href="#pasted"' in bad.text and "The pasted text is not an anchor" in bad.text
    assert '{&#34;count&#34;: -1}</textarea>' in bad.text or "{&quot;count&quot;: -1}</textarea>" in bad.text  # kept
    none = auditor.get("/console/audit", params={"check": "anchor"}, headers={"accept-language": "ru"})
    assert none.status_code == 422 and 'href="#anchor"' in none.text and "Выберите один из опубликованных якорей" in none.text


def test_the_access_history_of_a_person_is_in_words_with_actor_role_and_reason_and_is_itself_recorded(site):
    person = site.in_region(site.regions[0])[3]
    officer = signed_in(site, user=f"officer-{site.regions[0]}")
    assert officer.get(f"/console/people/{person.national_id}", params={"reason": "checking the address"}).status_code == 200
    auditor = signed_in(site, user="auditor")
    asked = auditor.get("/console/audit/people", params={"national_id": person.national_id})
    assert asked.status_code == 422 and 'href="#reason"' in asked.text  # the reason is asked, the id kept
    assert f'value="{person.national_id}"' in asked.text
    page = auditor.get("/console/audit/people", params={"national_id": person.national_id, "reason": "complaint 2027/14"})
    assert page.status_code == 200
    words = _words(page.text)
    assert "read your register record" in words and "checking the address" in words and f"officer-{site.regions[0]}" in words
    for code in ("person.read", "notices.", "campaign.", "register.import"):
        assert code not in page.text, code
    entry = _last(site, "audit.history")
    assert (entry.target, entry.reason, entry.actor) == (f"person:{person.national_id}", "complaint 2027/14", "auditor")
    again = _words(auditor.get("/console/audit/people", params={"national_id": person.national_id, "reason": "again"}).text)
    assert "looked up who read or changed your record" in again and "complaint 2027/14" in again
    mine = _words(signed_in(site, citizen=person).get("/portal/reads").text)
    assert "looked up who read or changed your record" in mine and "complaint 2027/14" in mine

    unknown = auditor.get("/console/audit/people", params={"national_id": "NO-SUCH-ID", "reason": "typo"})
    assert unknown.status_code == 404 and "There is a problem" in unknown.text and 'href="#national_id"' in unknown.text
    summary = unknown.text.split('class="error-summary"')[1].split("</div>")[0]
    assert "NO-SUCH-ID" not in summary and 'value="NO-SUCH-ID"' in unknown.text  # kept in its field, not in the message


def test_the_guardrail_report_lists_refusals_in_words_and_records_each_person_shown(site, tmp_path):
    from callup.examples import path as example
    from callup.military_service import guardrail, units
    from callup.uow import UnitOfWork

    a, b = site.regions[0], site.regions[1]
    person = site.in_region(a)[7]
    with UnitOfWork(site.admin) as uow:
        units.import_units(uow, example("units/republic-of-example.csv"))
    with UnitOfWork(site.admin) as uow:
        verdict = guardrail.check(uow, national_id=person.national_id, region=a, status="conscript", unit="8-MECH",
                                  action="induct")
    assert not verdict.allowed
    page = signed_in(site, user="auditor").get("/console/audit/guardrail")
    assert page.status_code == 200
    words = _words(page.text)
    assert person.national_id in words and "refused" in words and "combat zone" in words
    assert "The policy forbids this zone for this status." in words
    assert "deployment.attempt" not in page.text
    views = [e for e in audit.entries(site.admin.engine(), action="deployment.report") if e.actor == "auditor"]
    assert {e.target for e in views} >= {"deployment", f"person:{person.national_id}"}
    ru = _words(signed_in(site, user="auditor").get("/console/audit/guardrail", headers={"accept-language": "ru"}).text)
    assert "отказано" in ru and "зона боевых действий" in ru and "Правила запрещают эту зону для этого статуса." in ru
    theirs = signed_in(site, user=f"officer-{b}").get("/console/audit/guardrail")
    assert theirs.status_code == 200 and person.national_id not in theirs.text  # another region's officer: not theirs
    wrong = signed_in(site, user="auditor").get("/console/audit/guardrail", params={"since": "01/05/2027"})
    assert wrong.status_code == 422 and 'href="#since"' in wrong.text and 'value="01/05/2027"' in wrong.text


def test_every_deployment_status_and_zone_the_report_names_has_russian_words():
    from callup.web import i18n
    from callup.web.console_audit import STATUSES, ZONES

    catalogue = i18n.translations("ru")
    missing = [text for text in [*STATUSES.values(), *ZONES.values()] if catalogue.gettext(text) == text]
    assert not missing, missing


def test_the_auditor_re_verifies_a_published_draw_from_its_files_and_each_check_is_in_words(site):
    auditor = signed_in(site, user="auditor")
    form = auditor.get("/console/audit/draws")
    assert form.status_code == 200 and 'value="spring-2027"' in form.text
    page = auditor.get("/console/audit/draws", params={"campaign": "spring-2027"})
    assert page.status_code == 200, page.text
    words = _words(page.text)
    assert "The draw matches: re-run from its published files" in words
    assert "Re-running the draw calls the same people, in the same order, in every region." in words
    assert "The pool file is the pool committed to before the draw" in words and "Differs" not in words
    assert "Give the hash announced before the draw to check it." in words  # not given: listed as not checked
    entry = _last(site, "campaign.verify")
    assert (entry.target, entry.actor, entry.details["match"], entry.details["failed"]) == ("campaign:spring-2027", "auditor", True, [])

    from callup.campaigns.service import campaign_summary
    from callup.uow import UnitOfWork

    with UnitOfWork(site.admin, write=False) as uow:
        announced = campaign_summary(uow, "spring-2027").commitment_hash
    held = _words(auditor.get("/console/audit/draws", params={"campaign": "spring-2027", "announced": announced.upper()}).text)
    assert "The draw matches" in held and "Give the hash announced before the draw" not in held
    other = _words(auditor.get("/console/audit/draws", params={"campaign": "spring-2027", "announced": "0" * 64}).text)
    assert "The draw does not match its published files." in other and "Differs" in other
    assert _last(site, "campaign.verify").details["failed"] == ["announced commitment"]
    bad = auditor.get("/console/audit/draws", params={"campaign": "spring-2027", "announced": "not-a-hash"})
    assert bad.status_code == 422 and 'href="#announced"' in bad.text and 'value="not-a-hash"' in bad.text
    unknown = auditor.get("/console/audit/draws", params={"campaign": "autumn-1999"})
    assert unknown.status_code == 404 and 'href="#campaign"' in unknown.text
    ru = _words(auditor.get("/console/audit/draws", params={"campaign": "spring-2027"}, headers={"accept-language": "ru"}).text)
    assert "Жеребьёвка совпадает" in ru and "Повторная жеребьёвка призывает тех же людей" in ru


def test_a_draw_record_changed_after_the_draw_is_shown_as_not_matching(site):
    engine = site.admin.engine()
    with engine.begin() as conn:
        stored = conn.execute(text("SELECT record FROM campaigns WHERE name = 'spring-2027'")).scalar()
    record = json.loads(stored)
    region = next(name for name, r in record["regions"].items() if len(r["called_pseudonyms"]) >= 2)
    called = record["regions"][region]["called_pseudonyms"]
    called[0], called[1] = called[1], called[0]  # the first two called people swapped
    with engine.begin() as conn:
        conn.execute(text("UPDATE campaigns SET record = :r WHERE name = 'spring-2027'"), {"r": json.dumps(record)})
    try:
        page = signed_in(site, user="auditor").get("/console/audit/draws", params={"campaign": "spring-2027"})
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE campaigns SET record = :r WHERE name = 'spring-2027'"), {"r": stored})
    words = _words(page.text)
    assert "The draw does not match its published files." in words
    assert f"({region}): 0 people called by the re-run are missing from the record" in words
    assert "the same people, in another order" in words
    assert "regions" in _last(site, "campaign.verify").details["failed"]


def test_an_officer_cannot_re_verify_a_draw_and_is_not_offered_it(site):
    officer = signed_in(site, user=f"officer-{site.regions[0]}")
    assert 'href="/console/audit/draws"' not in officer.get("/console").text
    assert officer.get("/console/audit/draws", params={"campaign": "spring-2027"}).status_code == 403
    assert signed_in(site, user="auditor").get("/console").text.count('href="/console/audit/draws"') == 1


def test_every_view_of_an_auditor_page_is_recorded_even_without_a_check(site):
    auditor = signed_in(site, user="auditor")
    before = len(audit.entries(site.admin.engine(), action="audit.page"))
    auditor.get("/console/audit", params={"check": "chain"})
    page = auditor.get("/console/audit")
    assert "Last verified in the console:" in _words(page.text) and "by auditor." in _words(page.text)
    auditor.get("/console/audit/people")
    auditor.get("/console/audit/draws")
    auditor.get("/console/audit/draws", params={"campaign": "spring-2027", "announced": "nope"})  # refused: still a view
    views = audit.entries(site.admin.engine(), action="audit.page")[before:]
    assert [(e.details["page"], e.actor) for e in views] == [("chain", "auditor"), ("history", "auditor"), ("draws", "auditor"),
                                                              ("draws", "auditor")]
    signed_in(site, user=f"officer-{site.regions[0]}").get("/console/audit")
    assert len(audit.entries(site.admin.engine(), action="audit.page")) == before + 4  # refused before anything was shown


def test_a_long_chain_is_verified_in_steps_the_auditor_continues_each_recorded(site, monkeypatch):
    from callup.web import console_audit

    monkeypatch.setattr(console_audit, "STEP", 5)
    auditor = signed_in(site, user="auditor")
    page = auditor.get("/console/audit", params={"check": "chain"})
    steps = 1
    while "Continue from entry" in page.text:
        assert "Entries " in _words(page.text) and "The log has more entries" in _words(page.text)
        after = re.search(r'name="after" value="(\d+)"', page.text).group(1)
        prev = re.search(r'name="prev" value="([0-9a-f]{64})"', page.text).group(1)
        page = auditor.get("/console/audit", params={"check": "chain", "after": after, "prev": prev})
        steps += 1
    words = _words(page.text)
    assert page.status_code == 200 and "The audit log verifies." in words and steps > 2
    assert "were checked in this step, the ones before them in the steps before." in words
    recorded = [e for e in audit.entries(site.admin.engine(), action="audit.verify")][-steps:]
    assert [e.details["complete"] for e in recorded] == [False] * (steps - 1) + [True]
    assert [e.details["start"] for e in recorded] == [5 * i for i in range(steps)]
    bad = auditor.get("/console/audit", params={"check": "chain", "after": "12", "prev": "not-a-hash"})
    assert bad.status_code == 422 and "start the verification again" in bad.text
