"""Retention erases people past their period, in audited batches, and the audit log stays verifiable
while naming the erased nobody."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import text

from callup import audit
from callup.audit.chain import entries
from callup.register.importer import import_register
from callup.register.queries import get_person
from callup.retention.service import apply_retention
from callup.uow import UnitOfWork
from hardening_support import context_at, row, run_cli, write_csv


def _people(engine):
    with engine.connect() as conn:
        return sorted(conn.execute(text("SELECT national_id FROM people")).scalars())


def _load(store_url, tmp_path):
    rows = [row("OLD1", date_of_birth="1960-02-03"), row("OLD2", date_of_birth="1961-05-06"),
            row("YOUNG1", date_of_birth="2004-05-06"), row("GONE1", date_of_birth="2005-01-01", civil_status="deceased")]
    ctx = context_at(store_url)
    import_register(ctx, write_csv(tmp_path / "p.csv", rows))
    with UnitOfWork(ctx) as uow:  # each read is audited, naming the person
        for nid in ("OLD1", "YOUNG1", "GONE1"):
            get_person(uow, nid, reason="case review")
        uow.execute(text("INSERT INTO person_notes (national_id, author, note) VALUES ('OLD1', 'x', 'v1:k:AAAA')"))
    return ctx


def test_a_dry_run_counts_and_changes_nothing(engine, store_url, tmp_path):
    ctx = _load(store_url, tmp_path)
    report = apply_retention(ctx, dt.date(2026, 4, 1), dry_run=True)
    counts = {c.name: (c.due, c.erased) for c in report.categories}
    assert counts == {"register": (2, 0), "notes": (1, 0), "medical": (0, 0), "audit": (1, 0), "questionnaire": (0, 0)}
    assert _people(engine) == ["GONE1", "OLD1", "OLD2", "YOUNG1"]


def test_erased_people_vanish_from_the_register_and_their_audit_entries_name_nobody(engine, store_url, tmp_path):
    ctx = _load(store_url, tmp_path)
    assert [e.target for e in entries(engine, person_id="OLD1") if e.action == "person.read"] == ["person:OLD1"]
    report = apply_retention(ctx, dt.date(2026, 4, 1))
    assert {c.name: c.erased for c in report.categories} == {"register": 2, "notes": 1, "medical": 0, "audit": 1, "questionnaire": 0}
    assert _people(engine) == ["GONE1", "YOUNG1"]
    assert audit.verify(engine).ok  # the chain is intact
    assert entries(engine, person_id="OLD1") == []  # nothing readable names them
    reads = [e for e in entries(engine) if e.action == "person.read"]
    assert sorted(e.target for e in reads if e.target.startswith("person:")) == ["person:GONE1", "person:YOUNG1"]
    assert len([e for e in reads if e.target.startswith("person#")]) == 1  # the erased read, unlinkable
    with engine.connect() as conn:
        stored = " ".join(conn.execute(text("SELECT target || details FROM audit_log")).scalars())
    assert "OLD1" not in stored and "YOUNG1" not in stored  # the log never held an id in clear
    last = entries(engine, action="retention.apply")
    assert [(e.details["people"], e.details["notes"], e.details["audit_subjects"]) for e in last] == [(2, 1, 1)]
    again = apply_retention(ctx, dt.date(2026, 4, 1))  # idempotent
    assert {c.name: c.erased for c in again.categories} == {"register": 0, "notes": 0, "medical": 0, "audit": 0, "questionnaire": 0}


def test_deceased_people_go_once_the_period_after_their_record_has_passed(engine, store_url, tmp_path):
    ctx = _load(store_url, tmp_path)
    apply_retention(ctx, dt.date(2031, 3, 31))
    assert "GONE1" in _people(engine)
    apply_retention(ctx, dt.date(2031, 4, 2))
    assert "GONE1" not in _people(engine) and "YOUNG1" in _people(engine)
    assert audit.verify(engine).ok


def test_people_in_an_open_campaign_are_kept_until_it_closes(engine, store_url, tmp_path):
    ctx = _load(store_url, tmp_path)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO campaigns (name, status, jurisdiction, policy_sha256, policy_version, eligibility_date, "
                          "quota, over_call_rate, allocation_method, window_start, window_end, created_at) VALUES "
                          "('c', 'drawn', 'EXR', :h, '2019.1', '2026-04-01', 1, '0', 'largest_remainder', '2026-04-01', "
                          "'2026-07-01', '2026-04-01')"), {"h": "0" * 64})
        campaign = conn.execute(text("SELECT id FROM campaigns WHERE name = 'c'")).scalar_one()
        conn.execute(text("INSERT INTO campaign_pool (campaign_id, national_id, region, pseudonym, volunteer) "
                          "VALUES (:c, 'OLD1', 'R01', :p, false)"), {"c": campaign, "p": "0" * 32})
    apply_retention(ctx, dt.date(2026, 4, 1))
    assert _people(engine) == ["GONE1", "OLD1", "YOUNG1"]


def test_the_command_line(engine, store_url, tmp_path, monkeypatch):
    _load(store_url, tmp_path)
    code, out, err, uncaught = run_cli(["retention", "apply", "--on", "2026-04-01", "--dry-run", "--json"])
    assert uncaught is None and code == 0, err
    assert {c["name"]: c["due"] for c in json.loads(out)["categories"]}["register"] == 2
    code, out, err, _ = run_cli(["retention", "apply", "--on", "2026-04-01"])
    assert code == 0 and "erased" in out
    code, out, err, _ = run_cli(["audit", "log", "--person", "OLD1", "--json"])
    assert code == 0 and json.loads(out) == []
    code, out, err, _ = run_cli(["audit", "verify"])
    assert code == 0, err
