"""Every committed block of a register import carries its audit entry; an import left unfinished can be abandoned."""

from __future__ import annotations

import json

from sqlalchemy import text

from callup import audit
from callup.register.synth import synthesise
from callup_test_support import EXAMPLE_POLICY, run_cli
from register_helpers import TODAY, kill_import_after_first_block

PEOPLE = 20_000


def _entries(conn, action: str) -> list[dict]:
    return [json.loads(r[0]) for r in conn.execute(text("SELECT details FROM audit_log WHERE action = :a ORDER BY seq"),
                                                   {"a": action})]


def test_an_import_killed_and_never_resumed_leaves_every_committed_block_audited(engine, store_url, policy, tmp_path,
                                                                                 monkeypatch):
    path = tmp_path / "people.csv"
    synthesise(path, people=PEOPLE, seed=3, regions=policy.region_codes, citizenship="EXR", on=TODAY, bad_share=0.03)
    kill_import_after_first_block(store_url, path, monkeypatch)
    with engine.connect() as conn:
        import_id, status, rows_done, imported, rejected = conn.execute(text(
            "SELECT id, status, rows_done, rows_imported, rows_rejected FROM imports")).one()
        people = conn.execute(text("SELECT COUNT(*) FROM people WHERE import_id = :i"), {"i": import_id}).scalar_one()
        started = _entries(conn, "register.import.start")
        blocks = _entries(conn, "register.import.block")
    assert status == "running" and 0 < rows_done < PEOPLE, "the kill should land mid-import"
    assert [s["import_id"] for s in started] == [import_id]
    # The blocks' entries tile the rows committed, from the first row to the checkpoint, and count them.
    assert [(b["after_row"], b["to_row"]) for b in blocks] == list(zip([0] + [b["to_row"] for b in blocks[:-1]],
                                                                       [b["to_row"] for b in blocks]))
    assert blocks[-1]["to_row"] == rows_done
    assert sum(b["rows_imported"] for b in blocks) == imported == people
    assert sum(b["rows_rejected"] for b in blocks) == rejected
    assert audit.verify(engine).ok


def test_an_abandoned_import_is_audited_never_resumed_and_its_file_imports_anew(engine, store_url, policy, tmp_path,
                                                                                 monkeypatch):
    path = tmp_path / "people.csv"
    synthesise(path, people=PEOPLE, seed=4, regions=policy.region_codes, citizenship="EXR", on=TODAY)
    kill_import_after_first_block(store_url, path, monkeypatch)
    monkeypatch.setenv("CALLUP_NOW", f"{TODAY}T10:00:00Z")
    code, out, err, _ = run_cli(["register", "abandon", "1", "--reason", "superseded by a newer file", "--json"])
    assert code == 0, err
    assert json.loads(out)["status"] == "abandoned"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM imports WHERE id = 1")).scalar_one() == "abandoned"
        abandoned = conn.execute(text("SELECT reason, details FROM audit_log WHERE action = 'register.import.abandon'")).one()
    assert abandoned[0] == "superseded by a newer file" and json.loads(abandoned[1])["was"] == "running"

    code, out, err, _ = run_cli(["register", "abandon", "1"])
    assert code == 4 and "abandoned" in err and err.count("\n") == 1
    for unknown in ("2", str(2**31), str(2**63 - 1)):
        code, out, err, uncaught = run_cli(["register", "abandon", unknown])
        assert uncaught is None and code == 3 and f"number {unknown}" in err, err

    code, out, err, _ = run_cli(["register", "import", str(path), "--policy", str(EXAMPLE_POLICY), "--json"])
    assert code == 0, err
    report = json.loads(out)
    assert report["import_id"] == 2 and report["resumed_from"] == 0 and report["rows_imported"] == PEOPLE
    assert audit.verify(engine).ok
