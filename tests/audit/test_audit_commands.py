"""`callup audit verify|anchor|log` and the audit entries of `register import` and `register show`."""

from __future__ import annotations

import json
import sys

import pytest
from sqlalchemy import text

from callup_test_support import EXAMPLE_POLICY


def run_cli(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    from callup.cli import main

    monkeypatch.setattr(sys, "argv", ["callup", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def _csv(path):
    path.write_text("national_id,family_name,given_names,date_of_birth,sex,citizenship,region,address,postcode,civil_status\n"
                    "N1,Novak,Adam,2004-05-06,M,EXR,R01,1 Main St,01001,alive\n"
                    "N2,Horvat,Eva,2004-07-08,F,EXR,R02,2 Main St,01002,alive\n"
                    "N3,Bad,Row,2004-13-01,F,EXR,R02,3 Main St,01003,alive\n", encoding="utf-8")
    return path


def test_import_show_log_verify_anchor(engine, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("CALLUP_ACTOR", "registrar-1")  # importing is a national administrator's job
    code, out, err = run_cli(monkeypatch, capsys, "register", "import", str(_csv(tmp_path / "r.csv")),
                             "--policy", str(EXAMPLE_POLICY), "--json")
    assert code == 0, err
    monkeypatch.setenv("CALLUP_ACTOR", "officer-7")  # a regional officer of N2's region reads the record
    monkeypatch.setenv("CALLUP_ROLE", "officer")
    monkeypatch.setenv("CALLUP_REGIONS", "R02")
    code, out, _ = run_cli(monkeypatch, capsys, "register", "show", "N2", "--reason", "medical review", "--json")
    assert code == 0 and json.loads(out)["family_name"] == "Horvat"
    code, out, err = run_cli(monkeypatch, capsys, "audit", "log", "--person", "N1")  # the log names every region's people
    assert code == 5 and "auditor" in err and out == ""
    monkeypatch.setenv("CALLUP_ACTOR", "auditor-1")
    monkeypatch.setenv("CALLUP_ROLE", "auditor")
    monkeypatch.delenv("CALLUP_REGIONS")
    code, out, _ = run_cli(monkeypatch, capsys, "audit", "log", "--person", "N2", "--json")
    log = json.loads(out)
    # the import that last changed the record: its start, its one block and its completion
    assert [e["action"] for e in log] == ["register.import.start", "register.import.block", "register.import", "person.read"]
    imported, read = log[2:]
    assert imported["details"]["rows_imported"] == 2 and imported["details"]["rows_rejected"] == 1
    assert len(imported["details"]["file_sha256"]) == 64
    assert (imported["actor"], imported["role"]) == ("registrar-1", "administrator")
    assert (read["actor"], read["role"], read["reason"], read["target"]) == ("officer-7", "officer", "medical review", "person:N2")
    code, out, _ = run_cli(monkeypatch, capsys, "audit", "log", "--person", "N1", "--json")
    assert [e["action"] for e in json.loads(out)] == ["register.import.start", "register.import.block", "register.import"]
    anchor = tmp_path / "anchor.json"
    code, out, _ = run_cli(monkeypatch, capsys, "audit", "anchor", "--out", str(anchor), "--json")
    assert code == 0 and json.loads(anchor.read_text())["count"] == 4
    code, out, _ = run_cli(monkeypatch, capsys, "audit", "verify", "--anchor", str(anchor), "--json")
    assert code == 0 and json.loads(out)["ok"]
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 2"))
    code, out, err = run_cli(monkeypatch, capsys, "audit", "verify")
    assert code == 1 and "entry 2" in err and "Traceback" not in err
    code, out, err = run_cli(monkeypatch, capsys, "audit", "anchor")
    assert code == 2 and "refusing" in err


def test_a_bad_anchor_file_is_named(engine, monkeypatch, capsys, tmp_path):
    bad = tmp_path / "anchor.json"
    bad.write_text('{"count": -1, "head_hash": "x"}')
    code, _, err = run_cli(monkeypatch, capsys, "audit", "verify", "--anchor", str(bad))
    assert code == 2 and "anchor.json" in err and "count" in err


def test_show_of_an_unknown_person_records_nothing(engine, monkeypatch, capsys):
    code, _, err = run_cli(monkeypatch, capsys, "register", "show", "NOBODY")
    assert code == 3
    from callup import audit

    assert audit.verify(engine).count == 0
