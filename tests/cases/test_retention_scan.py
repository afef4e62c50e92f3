"""After `retention apply` on a closed campaign, no national id, name, address or health datum of an erased person
remains in any table; the audit chain and the published draw still verify."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import re

import pytest
from sqlalchemy import inspect, text

from callup import audit
from callup.campaigns import service
from callup.questionnaire import service as questionnaire
from callup.retention.service import apply_retention
from callup.simulation.responses import simulate
from callup.uow import UnitOfWork
from callup_test_support import run_cli
from case_helpers import CAMPAIGN, drawn_campaign

pytestmark = pytest.mark.db


def _cells(engine):
    """(table, column, value) of every non-empty text cell of every table."""
    with engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for column in inspect(conn).get_columns(table):
                for (value,) in conn.execute(text(f'SELECT "{column["name"]}" FROM "{table}"')):
                    if isinstance(value, str) and value:
                        yield table, column["name"], value


def _counts(engine, *tables):
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in tables}


def test_retention_leaves_nothing_personal_of_the_erased_in_any_table(ctx, engine, tmp_path):
    # A draw from fixed randomness, so that the simulation takes the same paths on every run (the overturn that
    # gives a call back while its replacement keeps theirs among them, asserted below).
    day = drawn_campaign(dataclasses.replace(ctx, random=random.Random(1).randbytes), tmp_path, people=800, quota=24)
    simulate(day, CAMPAIGN, seed=3)
    with UnitOfWork(day) as uow:
        service.close_campaign(uow, CAMPAIGN)
    sent = questionnaire.send_questionnaire(day)  # the cohort's self-declaration, one answered on paper
    with engine.connect() as conn:
        reference = conn.execute(text("SELECT reference FROM questionnaire_recipients LIMIT 1")).scalar_one()
    with UnitOfWork(day) as uow:
        questionnaire.key_answers(uow, reference, {"condition": "yes", "occupation": "study", "study_place": "Example College",
                                                   "prior_service": "no"})
    assert sent.sent > 0
    with engine.begin() as conn:
        people = conn.execute(text("SELECT national_id, family_name, given_names, address FROM people")).all()
        a_called = conn.execute(text("SELECT national_id, region FROM campaign_calls LIMIT 1")).one()
        conn.execute(text("INSERT INTO person_notes (national_id, author, note) VALUES (:n, 'x', 'v1:k:AAAA')"), {"n": a_called[0]})
        conn.execute(text("INSERT INTO contact_requests (national_id, region, postcode, status, requested_at) "
                          "VALUES (:n, :r, '01001', 'pending', '2027-04-02')"), {"n": a_called[0], "r": a_called[1]})
        record = conn.execute(text("SELECT record FROM campaigns")).scalar_one()
        pseudonyms = sorted(conn.execute(text("SELECT pseudonym FROM campaign_pool")).scalars())
    before = _counts(engine, "campaign_pool", "campaign_order", "campaign_calls", "summonses", "cases", "service_records",
                     "medical_findings", "case_transitions")
    letters = _counts(engine, "questionnaire_recipients")["questionnaire_recipients"]
    assert before["medical_findings"] > 0 and before["service_records"] > 0 and before["summonses"] > 0
    with engine.connect() as conn:  # an overturn gave a call back and its replacement kept theirs: named in the effect
        assert conn.execute(text("SELECT COUNT(*) FROM case_transitions WHERE effect LIKE '%replacement_kept%'")).scalar_one()

    report = apply_retention(day, dt.date(2070, 1, 1))  # everyone's liability ended long before

    erased = {c.name: c.erased for c in report.categories}
    assert erased["register"] == len(people) and erased["medical"] == before["medical_findings"]
    assert erased["questionnaire"] == letters
    assert _counts(engine, "questionnaire_recipients", "questionnaire_answers", "questionnaire_routes") == {
        "questionnaire_recipients": 0, "questionnaire_answers": 0, "questionnaire_routes": 0}
    ids = re.compile("|".join(sorted((re.escape(p.national_id) for p in people), key=len, reverse=True)))
    names = {p.family_name for p in people} | {p.given_names for p in people} | {p.address for p in people}
    found = [(t, c) for t, c, v in _cells(engine) if ids.search(v) or v in names]
    assert found == [], f"personal data left in {sorted(set(found))}"
    after = _counts(engine, *before)
    assert after["medical_findings"] == 0
    assert {t: n for t, n in after.items() if t != "medical_findings"} == {t: n for t, n in before.items() if t != "medical_findings"}
    with engine.connect() as conn:  # the draw as published: its record and pseudonyms untouched
        assert conn.execute(text("SELECT record FROM campaigns")).scalar_one() == record
        assert sorted(conn.execute(text("SELECT pseudonym FROM campaign_pool")).scalars()) == pseudonyms
        assert conn.execute(text("SELECT COUNT(*) FROM case_transitions WHERE reason IS NOT NULL")).scalar_one() == 0
    assert audit.verify(engine).ok
    service.export_campaign(day, CAMPAIGN, tmp_path / "public")
    code, out, err, _ = run_cli(["verify", str(tmp_path / "public")])
    assert code == 0 and "MATCH" in out, err + out
    again = apply_retention(day, dt.date(2070, 1, 1))
    assert all(c.erased == 0 for c in again.categories)


def test_medical_findings_and_audit_links_past_their_own_periods_go(ctx, engine, tmp_path):
    day = drawn_campaign(ctx, tmp_path, people=800, quota=24)
    simulate(day, CAMPAIGN, seed=3)
    with engine.connect() as conn:
        findings = conn.execute(text("SELECT COUNT(*) FROM medical_findings")).scalar_one()
        subjects = conn.execute(text("SELECT COUNT(*) FROM audit_subjects")).scalar_one()
    assert findings > 0 and subjects > 0
    # The campaign is open: its pool is kept, but findings older than medical_years (10) go, and at
    # audit_years (25) after the last entry (a contract signed during the simulated service, up to a
    # year after the campaign) no entry links to anyone any more.
    first = {c.name: c.erased for c in apply_retention(day, dt.date(2037, 5, 1)).categories}
    assert first["medical"] == findings
    second = {c.name: c.erased for c in apply_retention(day, dt.date(2054, 5, 1)).categories}
    assert first["audit"] + second["audit"] == subjects
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM medical_findings")).scalar_one() == 0
        assert conn.execute(text("SELECT COUNT(*) FROM audit_subjects")).scalar_one() == 0
        kept = conn.execute(text("SELECT COUNT(*) FROM campaign_pool WHERE national_id IN (SELECT national_id FROM people)")
                            ).scalar_one()
        pool = conn.execute(text("SELECT COUNT(*) FROM campaign_pool")).scalar_one()
    assert kept == pool > 0  # the open campaign's pool stays
    assert audit.verify(engine).ok
