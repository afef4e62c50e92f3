"""`callup db backup` / `db restore`: consistent while in use, restore verified, bad files named."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from callup import audit
from callup.errors import InputError
from callup.store.backup import backup, read_manifest, restore
from callup.uow import UnitOfWork
from callup_test_support import make_context


def _ctx(engine):
    return make_context(engine.url.render_as_string(hide_password=False))


def _touch(engine, n):
    ctx = _ctx(engine)
    for i in range(n):
        with UnitOfWork(ctx, engine=engine) as uow:
            uow.execute(text("INSERT INTO person_notes (national_id, author, note) VALUES (:n, 'x', 'v1:k:AAAA')"), {"n": f"P{i}"})
            uow.record(audit.PersonRead(target=audit.person(f"P{i}")))


def _counts(engine):
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in ("person_notes", "audit_log")}


def test_backup_then_restore_gives_back_the_same_store(engine, tmp_path):
    _touch(engine, 5)
    report = backup(_ctx(engine), tmp_path / "b.tar")
    assert report.tables["person_notes"] == 5 and report.audit_count == 5
    _touch(engine, 3)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM person_notes WHERE national_id = 'P1'"))
    result = restore(_ctx(engine), tmp_path / "b.tar")
    assert result.verified and result.audit_head == report.audit_head
    assert _counts(engine) == {"person_notes": 5, "audit_log": 6}  # + the restore's own entry
    assert audit.verify(engine).ok
    assert [e.action for e in audit.entries(engine)][-1] == "db.restore"


def test_a_backup_taken_while_others_write_is_consistent(engine, tmp_path):
    stop, writing = threading.Event(), threading.Event()

    def writer():
        while not stop.is_set():
            _touch(engine, 1)
            writing.set()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert writing.wait(timeout=60), "the writer should commit a first note"
        reports = [backup(_ctx(engine), tmp_path / f"b{i}.tar") for i in range(3)]
    finally:
        stop.set()
        thread.join()
    for i, report in enumerate(reports):
        # Every note was written with its audit entry: the snapshot holds both or neither.
        assert report.tables["person_notes"] == report.audit_count - i  # earlier backups' own entries
        restore(_ctx(engine), tmp_path / f"b{i}.tar")
        assert audit.verify(engine).ok


def test_bad_backup_files_are_named(engine, tmp_path):
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not a tar")
    with pytest.raises(InputError, match="junk.tar: not a callup backup"):
        read_manifest(junk)
    with pytest.raises(InputError, match="no such file"):
        restore(_ctx(engine), tmp_path / "missing.tar")
