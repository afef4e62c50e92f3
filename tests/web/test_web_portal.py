"""The citizens' portal: status, summons (opening it is delivery evidence), letter, acknowledgement,
moves, contact-change requests, who read my record, the signed status document, languages."""

from __future__ import annotations

import json
import re

from sqlalchemy import select
from typer.testing import CliRunner

from callup.notices.tables import Summons
from callup.store.engine import connect
from web_support import client, csrf_of, session_cookie

summonses = Summons.__table__


def _as(site, citizen, **kw):  # noqa: ANN001, ANN003, ANN202
    c = client(site, **kw)
    c.cookies.set("callup_session", session_cookie(site, citizen=citizen))
    return c


def _row(site, reference):  # noqa: ANN001, ANN202
    with connect(site.url).connect() as conn:
        return conn.execute(select(*[c for c in summonses.c if c.name != "code"]).where(summonses.c.reference == reference)).mappings().one()


def test_the_status_page_shows_the_summons_appointment_pseudonym_and_rank(site):
    cit = site.citizens[10]
    page = _as(site, cit).get("/portal")
    assert page.status_code == 200
    row = _row(site, cit.reference)
    assert row["pseudonym"] in page.text and cit.reference in page.text
    assert '<main id="main"' in page.text and '<nav aria-label="Portal"' in page.text and "<h1>My status</h1>" in page.text
    # the office as the letter names it (name and address, from the campaign's offices file), not its code
    import csv

    from callup.examples import path as example

    with open(example("offices/republic-of-example.csv"), encoding="utf-8") as fh:
        office = next(o for o in csv.DictReader(fh) if o["office"] == row["office"])
    assert office["name"] in page.text and office["address"].split(";")[0] in page.text
    assert office["name"] in _as(site, cit).get(f"/portal/summons/{cit.reference}").text


def test_opening_the_summons_is_delivery_evidence_and_shows_the_check_against_the_public_draw_record(site):
    cit = site.citizens[11]
    c = _as(site, cit)
    assert _row(site, cit.reference)["delivered_at"] is None
    warning = c.get(f"/portal/summons/{cit.reference}")
    assert warning.status_code == 200 and "counts as its delivery to you" in warning.text  # said before it happens
    assert "The deadlines it sets" in warning.text and "called in region" not in warning.text
    assert _row(site, cit.reference)["delivered_at"] is None
    opened = c.post(f"/portal/summons/{cit.reference}/open", data={"csrf": csrf_of(warning.text)})
    assert opened.status_code == 303
    page = c.get(f"/portal/summons/{cit.reference}")
    assert page.status_code == 200
    row = _row(site, cit.reference)
    assert (row["status"].value, row["delivery_source"]) == ("delivered", "portal")
    assert row["delivery_evidence"].startswith("portal session ")
    assert "called in region" in page.text and "The seed recomputed" in page.text
    record = c.get(f"/public/campaigns/{row['pseudonym'] and 'spring-2027'}/draw-record.json")
    assert record.status_code == 200 and record.json()["seed"]
    replaced = c.get("/public/campaigns/spring-2027/replacements.jsonl")
    assert replaced.status_code == 200 and replaced.headers["content-type"].startswith("application/jsonl")
    from callup.lottery import replacements

    lines = replacements.parse(replaced.content)  # the record as published: every line canonical JSON, chained
    assert all(entry["format"] == replacements.FORMAT for _, entry in lines)


def test_the_letter_downloads_as_a_pdf_of_one_page(site):
    cit = site.citizens[12]
    r = _as(site, cit).get(f"/portal/summons/{cit.reference}/letter.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf" and r.content.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page(?![s\w])", r.content)) == 1
    assert cit.reference in r.headers["content-disposition"]


def test_acknowledging_records_the_evidence(site):
    cit = site.citizens[13]
    c = _as(site, cit)
    page = c.get(f"/portal/summons/{cit.reference}")
    r = c.post(f"/portal/summons/{cit.reference}/acknowledge", data={"csrf": csrf_of(page.text)})
    assert r.status_code == 303 and r.headers["location"].endswith("done=acknowledged")
    row = _row(site, cit.reference)
    assert row["status"].value == "acknowledged" and row["acknowledged_at"] is not None
    assert "confirmed that you received" in c.get(r.headers["location"]).text


def test_moving_the_appointment_is_day_then_time_then_confirm_and_a_refused_choice_says_why(site):
    cit = site.citizens[14]
    c = _as(site, cit)
    move = f"/portal/summons/{cit.reference}/move"
    form = c.get(move)
    assert form.status_code == 200 and 'name="slot"' not in form.text  # first the day, not every time at once
    days = re.findall(r'name="day" value="([^"]+)"', form.text)
    assert days, "no free day offered"
    none = c.get(move, params={"pick": "day"})
    assert none.status_code == 422 and "There is a problem" in none.text and 'href="#day"' in none.text
    times = c.get(move, params={"day": days[1]})
    slots = re.findall(r'name="slot" value="([^"]+)"', times.text)
    assert slots and all(f"|{days[1]}|" in slot for slot in slots) and len(slots) < 40
    confirm = c.get(move, params={"day": days[1], "slot": slots[0]})
    assert 'value="' + slots[0] + '"' in confirm.text and "Move my appointment" in confirm.text
    before = _row(site, cit.reference)
    assert (before["date"].isoformat(), before["start"].strftime("%H:%M")) != tuple(slots[0].split("|")[1:])
    bad = c.post(move, data={"csrf": csrf_of(confirm.text), "slot": "NOPE|2027-01-01|09:00"})
    assert bad.status_code == 422 and "There is a problem" in bad.text
    office, day, start = slots[0].split("|")
    r = c.post(move, data={"csrf": csrf_of(confirm.text), "slot": slots[0]})
    assert r.status_code == 303
    row = _row(site, cit.reference)
    assert (row["office"], row["date"].isoformat(), row["start"].strftime("%H:%M")) == (office, day, start)


def test_a_contact_change_is_a_request_the_officer_confirms_not_a_silent_overwrite(site):
    from callup.register.tables import Person

    people = Person.__table__
    cit = site.citizens[15]
    c = _as(site, cit)
    form = c.get("/portal/contact")
    bad = c.post("/portal/contact", data={"csrf": csrf_of(form.text), "email": "not an email"})
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text
    # in words, in the summary linking to the field and beside it, the title saying there is an error, the value kept
    assert "There is a problem" in bad.text and 'href="#email"' in bad.text and 'id="email-error"' in bad.text
    assert "Enter an e-mail address in the right form" in bad.text and "not a valid" not in bad.text
    assert re.search(r"<title>Error: ", bad.text) and 'value="not an email"' in bad.text
    c.cookies.set("callup_lang", "ru")
    assert "Введите адрес электронной почты" in c.post("/portal/contact", data={"csrf": csrf_of(form.text), "email": "x"}).text
    c.cookies.delete("callup_lang")
    r = c.post("/portal/contact", data={"csrf": csrf_of(form.text), "email": "new@example.org", "phone": "+1 555 0100"})
    assert r.status_code == 303
    with connect(site.url).connect() as conn:
        assert conn.execute(select(people.c.email).where(people.c.national_id == cit.national_id)).scalar() != "new@example.org"
    officer = client(site)
    name = f"officer-{cit.region}" if f"officer-{cit.region}" in site.users else "admin"
    officer.cookies.set("callup_session", session_cookie(site, user=name))
    queue = officer.get("/console")
    assert "new@example.org" in queue.text
    request_id = re.search(r'action="/console/contact/(\d+)"', queue.text).group(1)
    refused = officer.post(f"/console/contact/{request_id}", data={"csrf": csrf_of(queue.text), "decision": "reject"})
    assert refused.status_code == 422  # a rejection needs its reason
    done = officer.post(f"/console/contact/{request_id}", data={"csrf": csrf_of(queue.text), "decision": "confirm"})
    assert done.status_code == 303
    with connect(site.url).connect() as conn:
        assert conn.execute(select(people.c.email).where(people.c.national_id == cit.national_id)).scalar() == "new@example.org"
    assert "Confirmed: the register was changed" in c.get("/portal/contact").text


def test_a_citizen_stops_reminders_on_the_contact_page_and_can_ask_for_them_again(site):
    from callup.notices import reminders
    from callup.uow import UnitOfWork
    from callup_test_support import make_context

    cit = site.citizens[17]
    c = _as(site, cit)
    page = c.get("/portal/contact")
    assert "Stop reminders" in page.text
    stopped = c.post("/portal/reminders", data={"csrf": csrf_of(page.text), "want": "no"})
    assert stopped.status_code == 303
    page = c.get(stopped.headers["location"])
    assert "You will get no more reminders." in page.text and "Send me reminders again" in page.text
    with UnitOfWork(make_context(site.url)) as uow:
        assert reminders.opted_out(uow, cit.national_id)
        assert reminders.send(uow, cit.national_id, "appointment", key="test:portal-opt-out") == 0
    again = c.post("/portal/reminders", data={"csrf": csrf_of(page.text), "want": "yes"})
    assert "You will get reminders again." in c.get(again.headers["location"]).text
    with UnitOfWork(make_context(site.url)) as uow:
        assert not reminders.opted_out(uow, cit.national_id)
    c.get("/lang/ru?next=/portal/contact")
    assert "Не присылать напоминания" in c.get("/portal/contact").text


def test_who_read_my_record_shows_role_office_and_reason_but_not_the_officer_s_name(site):
    cit = site.citizens[16]
    officer = client(site)
    officer.cookies.set("callup_session", session_cookie(site, user="admin"))
    assert officer.get(f"/console/people/{cit.national_id}").status_code == 200  # asks for a reason first
    page = officer.get(f"/console/people/{cit.national_id}", params={"reason": "checking the address after a return"})
    assert page.status_code == 200 and cit.national_id in page.text
    for _ in range(3):  # the same work again: still one visit
        officer.get(f"/console/people/{cit.national_id}", params={"reason": "checking the address after a return"})
    reads = _as(site, cit).get("/portal/reads")
    visit = [row for row in re.findall(r"<tr>.*?</tr>", reads.text, re.S) if "checking the address after a return" in row]
    assert len(visit) == 1 and re.search(r"\d+ entries", visit[0]), visit
    assert "checking the address after a return" in reads.text and "Administrator" in reads.text
    assert "Office of the nation" in reads.text and "<td>admin</td>" not in reads.text and "test-admin" not in reads.text
    # every entry in words: no audit code such as register.import.block (the register's load of the person) reaches the page
    assert not re.search(r"<td>[a-z_]+(\.[a-z_]+)+</td>", reads.text), re.findall(r"<td>[a-z_]+(?:\.[a-z_]+)+</td>", reads.text)


def test_the_status_document_verifies_offline_and_on_the_check_page_and_a_changed_one_does_not(site, tmp_path):
    from callup.cli import app

    cit = site.citizens[17]
    c = _as(site, cit)
    page = c.get("/portal/document")
    text = re.search(r"(CALLUP-STATUS:2:[A-Za-z0-9_\-.]+)", page.text).group(1)
    assert c.get("/portal/document/qr.svg").headers["content-type"] == "image/svg+xml"
    assert c.get("/portal/document.pdf").content.startswith(b"%PDF")
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps(c.get("/status/keys").json()))
    runner = CliRunner()
    ok = runner.invoke(app, ["status", "verify", text, "--keys", str(keys), "--on", "2027-02-10"])
    assert ok.exit_code == 0 and "valid: signature good" in ok.output and "status summoned" in ok.output
    expired = runner.invoke(app, ["status", "verify", text, "--keys", str(keys), "--on", "2027-06-01"])
    assert expired.exit_code == 1 and "expired" in expired.output
    payload, sig = text[len("CALLUP-STATUS:2:"):].split(".")
    forged = "CALLUP-STATUS:2:" + payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1] + "." + sig
    assert runner.invoke(app, ["status", "verify", forged, "--keys", str(keys), "--on", "2027-02-10"]).exit_code == 1
    import numpy as np
    import zxingcpp
    from matplotlib import image

    picture = tmp_path / "qr.png"
    pixels = np.asarray(zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode).to_image(scale=4))
    image.imsave(picture, pixels, cmap="gray")
    assert runner.invoke(app, ["status", "verify", str(picture), "--keys", str(keys), "--on", "2027-02-10"]).exit_code == 0
    import shutil
    import subprocess

    if shutil.which("pdftoppm"):  # the PDF's own QR code, scanned from a picture of the page
        (tmp_path / "status.pdf").write_bytes(c.get("/portal/document.pdf").content)
        subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(tmp_path / "status.pdf"), str(tmp_path / "page")],
                       check=True)
        scanned = runner.invoke(app, ["status", "verify", str(tmp_path / "page.png"), "--keys", str(keys), "--on", "2027-02-10"])
        assert scanned.exit_code == 0 and "valid: signature good" in scanned.output
        # tagged for screen readers: a heading, the lines as paragraphs, the QR code as a figure with its words
        structure = subprocess.run(["pdfinfo", "-struct-text", str(tmp_path / "status.pdf")], capture_output=True, text=True,
                                   check=True).stdout
        assert structure.startswith("Document") and "H1" in structure and "Call-up status document" in structure
        assert structure.count("  P ") >= 8 and "Figure" in structure
        assert "Tagged:          yes" in subprocess.run(["pdfinfo", str(tmp_path / "status.pdf")], capture_output=True,
                                                           text=True, check=True).stdout
        # the QR code holds the check page's address with the document: a phone's camera opens the check
        held = [b.text for b in zxingcpp.read_barcodes((image.imread(tmp_path / "page.png")[..., :3].mean(axis=2) * 255)
                                                       .astype(np.uint8))]
        assert held and held[0].startswith(f"{site.settings().public_url}/status/check?document=CALLUP-STATUS:2:")
        opened = client(site).get(held[0][len(site.settings().public_url):])
        assert "<h2 id=\"result\">Valid</h2>" in opened.text
    checked = client(site).get("/status/check", params={"document": text})
    assert "<h2 id=\"result\">Valid</h2>" in checked.text
    assert "Not valid" in client(site).get("/status/check", params={"document": forged}).text


def test_another_citizen_s_summons_answers_not_found_without_personal_data(site):
    mine, other = site.citizens[18], site.citizens[19]
    c = _as(site, mine)
    for path in (f"/portal/summons/{other.reference}", f"/portal/summons/{other.reference}/letter.pdf",
                 f"/portal/summons/{other.reference}/move"):
        r = c.get(path)
        assert r.status_code == 404 and other.national_id not in r.text and _row(site, other.reference)["pseudonym"] not in r.text
    page = c.get(f"/portal/summons/{mine.reference}")
    r = c.post(f"/portal/summons/{other.reference}/acknowledge", data={"csrf": csrf_of(page.text)})
    assert r.status_code == 404 and _row(site, other.reference)["acknowledged_at"] is None
    r = c.post(f"/portal/summons/{other.reference}/open", data={"csrf": csrf_of(page.text)})
    assert r.status_code == 404 and _row(site, other.reference)["delivered_at"] is None


def test_pages_come_in_russian_by_accept_language_or_the_switch_with_dates_and_numbers_per_locale(site):
    cit = site.citizens[20]
    c = _as(site, cit)
    ru = c.get("/portal", headers={"accept-language": "ru-RU,ru;q=0.9,en;q=0.5"})
    assert '<html lang="ru">' in ru.text and "Мой статус" in ru.text
    row = _row(site, cit.reference)
    from babel.dates import format_date

    assert format_date(row["date"], format="full", locale="ru") in ru.text
    en = _as(site, cit).get("/portal", headers={"accept-language": "de, en;q=0.5"})
    assert '<html lang="en">' in en.text and format_date(row["date"], format="full", locale="en_GB") in en.text
    switch = c.get("/lang/ru", params={"next": "/portal"})
    assert switch.status_code == 303 and switch.headers["location"] == "/portal"
    assert "Мой статус" in c.get("/portal").text
    assert client(site).get("/lang/ru", params={"next": "https://evil.example/"}).headers["location"] == "/"


def test_every_text_of_the_pages_has_a_russian_translation():
    import pathlib

    import callup.web
    from callup.web import i18n

    here = pathlib.Path(callup.web.__file__).parent
    catalogue = i18n.translations("ru")
    missing = []
    for path in sorted(here.rglob("*")):
        if path.suffix not in (".html", ".py"):
            continue
        for match in re.finditer(r'''\b_\(\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\s*\)''', path.read_text(encoding="utf-8")):
            text = eval(match.group(1))  # noqa: S307 - a string literal from our own source
            if catalogue.gettext(text) == text:
                missing.append(f"{path.name}: {text}")
    from callup.web.portal import ACTIONS, UNNAMED_ACTION

    missing += [f"portal.ACTIONS: {text}" for text in [*ACTIONS.values(), UNNAMED_ACTION] if catalogue.gettext(text) == text]
    from callup.web.words import english

    missing += [f"words: {text}" for text in english() if catalogue.gettext(text) == text]
    assert not missing, missing


def test_an_inducted_citizen_sees_their_service_not_a_movable_appointment_or_application_forms(site):
    import dataclasses
    import datetime as dt

    from sqlalchemy import text

    from callup.cases import medical
    from callup.context import make_actor
    from callup.examples import path as example
    from callup.military_service import induction
    from callup.military_service.units import import_units
    from callup.uow import UnitOfWork
    from campaign_helpers import on_day
    from web_support import ISSUE_DAY

    cit = site.citizens[50]
    day = on_day(site.admin, ISSUE_DAY)
    with UnitOfWork(day) as uow:
        if not uow.execute(text("SELECT 1 FROM units LIMIT 1")).first():
            import_units(uow, example("units/republic-of-example.csv"))
        case = medical.open_examination(uow, "spring-2027", cit.national_id)
    board = dataclasses.replace(day, actor=make_actor("board", "medical", regions=cit.region))
    with UnitOfWork(board) as uow:
        medical.decide_fitness(uow, case.id, "A")
    with UnitOfWork(day) as uow:
        induction.induct(uow, "spring-2027", cit.national_id, unit="3-SIG", start=dt.date(2027, 5, 1))
    c = _as(site, cit)
    status = c.get("/portal")
    assert status.status_code == 200 and "In military service" in status.text and "3-SIG" in status.text
    summons = c.get(f"/portal/summons/{cit.reference}")
    assert f"/portal/summons/{cit.reference}/move" not in summons.text
    assert 'href="/portal/rights/deferral"' not in c.get("/portal/cases").text
    assert re.search(r"<dd>\s*In military service\s*</dd>", c.get("/portal/document").text)


def test_who_read_my_record_groups_one_officer_s_work_for_one_reason_into_one_visit():
    import datetime as dt
    import types

    from hypothesis import given, settings, strategies as st

    from callup.web.portal import VISIT_GAP, visits

    start = dt.datetime(2027, 2, 1, 9, 0, tzinfo=dt.UTC)
    entry = st.tuples(st.sampled_from(["officer-a", "officer-b"]), st.sampled_from(["checking the address", None]),
                      st.integers(min_value=0, max_value=3600), st.sampled_from(["person.read", "notices.read", "case.step"]))

    @settings(deadline=None)  # a shared machine: no time limit per example
    @given(st.lists(entry, max_size=40))
    def check(steps):  # noqa: ANN001, ANN202
        found, at = [], start
        for actor, reason, seconds, action in steps:
            at += dt.timedelta(seconds=seconds)
            found.append(types.SimpleNamespace(at=at.isoformat(), actor=actor, role="officer", action=action, reason=reason))
        made = visits(found)
        assert sum(v["count"] for v in made) == len(found)  # every entry is in one visit
        i = 0
        for v in made:  # a visit is a run of one user's entries with one reason, none more than the gap apart
            run = found[i:i + v["count"]]
            i += v["count"]
            assert {e.actor for e in run} == {v["actor"]} and {e.reason for e in run} - {None} <= {v["reason"]}
            times = [dt.datetime.fromisoformat(e.at) for e in run]
            assert all(b - a <= VISIT_GAP for a, b in zip(times, times[1:], strict=False))
            assert (v["first"], v["last"]) == (times[0], times[-1])
        starts = [sum(v["count"] for v in made[:k]) for k in range(len(made))]
        for k in range(1, len(made)):  # two visits in a row are not one
            a, b, first_reason = made[k - 1], made[k], found[starts[k]].reason
            assert (a["actor"] != b["actor"] or b["first"] - a["last"] > VISIT_GAP
                    or None not in (a["reason"], first_reason) and a["reason"] != first_reason)

    check()
