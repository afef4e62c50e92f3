"""`db restore` restores into a staging copy, verifies it, then swaps: a bad backup leaves the live
store untouched, and every restore, failed or not, is in the audit log."""

from __future__ import annotations

import io
import os
import stat
import tarfile

import pytest
from sqlalchemy import text

from callup import audit
from callup.audit.chain import head as chain_head
from callup.errors import CallupError, InputError
from callup.store.backup import backup, restore
from callup.uow import UnitOfWork


def _note(ctx, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        with UnitOfWork(ctx) as uow:
            uow.execute(text("INSERT INTO person_notes (national_id, author, note) VALUES (:n, 'x', 'v1:k:AAAA')"),
                        {"n": f"P{i}"})
            uow.record(audit.PersonRead(target=audit.person(f"P{i}")))


def _state(ctx) -> tuple:
    engine = ctx.engine()
    with engine.connect() as conn:
        notes = conn.execute(text("SELECT COUNT(*) FROM person_notes")).scalar_one()
        head = chain_head(conn)
    return notes, head


def _splice(good: str, other: str, out: str) -> None:
    """A backup whose manifest is `good`'s but whose data is `other`'s (a tampered or mixed-up file)."""
    with tarfile.open(good) as a, tarfile.open(other) as b, tarfile.open(out, "w") as tar:
        for member in b.getmembers():
            source = a if member.name == "manifest.json" else b
            info = source.getmember(member.name)
            tar.addfile(info, source.extractfile(info))


def test_a_backup_that_does_not_verify_leaves_the_live_store_untouched_and_is_audited(ctx, tmp_path):
    _note(ctx, 5)
    backup(ctx, tmp_path / "good.tar")
    with ctx.engine().begin() as conn:  # the tampered backup: 3 notes deleted
        conn.execute(text("DELETE FROM person_notes WHERE national_id IN ('P0', 'P1', 'P2')"))
    backup(ctx, tmp_path / "other.tar")
    _splice(str(tmp_path / "good.tar"), str(tmp_path / "other.tar"), str(tmp_path / "tampered.tar"))
    _note(ctx, 4, start=100)  # newer work in the live store
    notes, (seq, _) = _state(ctx)

    with pytest.raises(CallupError, match="did not verify"):
        restore(ctx, tmp_path / "tampered.tar")

    after_notes, (after_seq, _) = _state(ctx)
    assert after_notes == notes  # nothing of the backup reached the live store
    assert after_seq == seq + 1  # ... only the audit entry of the failed restore
    last = audit.entries(ctx.engine())[-1]
    assert last.action == "db.restore.failed" and "tampered.tar" in last.details["file"]
    assert "did not verify" in last.details["problem"]
    assert audit.verify(ctx.engine()).ok


def test_a_damaged_backup_is_refused_and_audited(ctx, tmp_path):
    _note(ctx, 2)
    backup(ctx, tmp_path / "b.tar")
    with tarfile.open(tmp_path / "b.tar") as tar:
        manifest = tar.extractfile("manifest.json").read()
        member = [m for m in tar.getmembers() if m.name != "manifest.json"][0]
        data = bytearray(tar.extractfile(member).read())
    data[len(data) // 2: len(data) // 2 + 4096] = b"\x00" * 4096
    with tarfile.open(tmp_path / "damaged.tar", "w") as tar:
        for name, blob in (("manifest.json", manifest), (member.name, bytes(data))):
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    before = _state(ctx)
    with pytest.raises(CallupError):
        restore(ctx, tmp_path / "damaged.tar")
    notes, (seq, _) = _state(ctx)
    assert notes == before[0] and seq == before[1][0] + 1
    assert audit.entries(ctx.engine())[-1].action == "db.restore.failed"


def test_a_good_restore_swaps_in_the_backup_and_records_what_it_replaced(ctx, tmp_path):
    _note(ctx, 5)
    taken = backup(ctx, tmp_path / "b.tar")
    _note(ctx, 3, start=10)
    _, (replaced_seq, replaced_hash) = _state(ctx)
    result = restore(ctx, tmp_path / "b.tar")
    assert result.verified and result.audit_head == taken.audit_head
    notes, (seq, _) = _state(ctx)
    assert notes == 5 and seq == taken.audit_count + 1
    entry = audit.entries(ctx.engine())[-1]
    assert entry.action == "db.restore"
    assert entry.details["replaced_audit_count"] == replaced_seq and entry.details["replaced_audit_head"] == replaced_hash
    assert audit.verify(ctx.engine()).ok
    _note(ctx, 1, start=50)  # the restored store is in use again
    assert audit.verify(ctx.engine()).ok


def test_restore_twice_from_the_same_file(ctx, tmp_path):
    _note(ctx, 2)
    backup(ctx, tmp_path / "b.tar")
    restore(ctx, tmp_path / "b.tar")
    restore(ctx, tmp_path / "b.tar")
    assert _state(ctx)[0] == 2 and audit.verify(ctx.engine()).ok


def test_a_missing_backup_file_is_named_and_the_attempt_audited(ctx, tmp_path):
    before = _state(ctx)
    with pytest.raises(InputError, match="missing.tar: no such file"):
        restore(ctx, tmp_path / "missing.tar")
    assert _state(ctx)[1][0] == before[1][0] + 1


def test_backup_files_are_private_and_refuse_directories_and_missing_folders(ctx, tmp_path):
    _note(ctx, 1)
    report = backup(ctx, tmp_path / "b.tar")
    assert stat.S_IMODE(os.stat(report.file).st_mode) == 0o600
    with pytest.raises(InputError, match="is a directory"):
        backup(ctx, tmp_path)
    with pytest.raises(InputError, match="does not exist"):
        backup(ctx, tmp_path / "no" / "such" / "b.tar")
    assert sorted(p.name for p in tmp_path.iterdir() if ".partial" in p.name or "backup" in p.name) == []


def test_the_live_store_stays_in_use_while_a_restore_is_staged(ctx, tmp_path):
    import threading

    _note(ctx, 3)
    backup(ctx, tmp_path / "good.tar")
    with ctx.engine().begin() as conn:
        conn.execute(text("DELETE FROM person_notes WHERE national_id = 'P0'"))
    backup(ctx, tmp_path / "other.tar")
    _splice(str(tmp_path / "good.tar"), str(tmp_path / "other.tar"), str(tmp_path / "tampered.tar"))
    stop, errors, written = threading.Event(), [], []

    def writer():
        i = 1000
        while not stop.is_set():
            try:
                _note(ctx, 1, start=i)
                written.append(i)
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
            i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for _ in range(3):
            with pytest.raises(CallupError, match="did not verify"):
                restore(ctx, tmp_path / "tampered.tar")
    finally:
        stop.set()
        thread.join()
    assert errors == []
    assert _state(ctx)[0] == 2 + len(written)
    assert audit.verify(ctx.engine()).ok
    assert [e.action for e in audit.entries(ctx.engine())].count("db.restore.failed") == 3
