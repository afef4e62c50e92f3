"""Encrypted columns: values unreadable at rest, bound to their column, clear errors, resumable rotation.

Keys are loaded at the edge into the context (`make_context` reads the test's environment), so a
test that changes the keys builds a new context, as a new command would.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import insert, select, text

from callup import audit
from callup.crypto import CryptoError, generate_key_file
from callup.crypto.rotate import key_usage, rotate
from callup.store.registry import Base
from callup.uow import UnitOfWork
from callup_test_support import make_context

notes = Base.metadata.tables["person_notes"]


@pytest.fixture
def key_file(tmp_path, monkeypatch):
    path = tmp_path / "keys.json"
    generate_key_file(path)
    monkeypatch.setenv("CALLUP_KEY_FILE", str(path))
    monkeypatch.delenv("CALLUP_KEYS", raising=False)
    return path


def _ctx(engine):
    """The context of a new command on the test store, with the keys the environment names now."""
    return make_context(engine.url.render_as_string(hide_password=False))


def _write(engine, texts):
    with UnitOfWork(_ctx(engine), engine=engine) as uow:
        for i, t in enumerate(texts):
            uow.execute(insert(notes).values(national_id=f"P{i}", author="officer", note=t))


def _read(engine):
    with UnitOfWork(_ctx(engine), engine=engine, write=False) as uow:
        return [r[0] for r in uow.execute(select(notes.c.note).order_by(notes.c.id))]


def test_values_are_encrypted_at_rest_and_read_back(engine, key_file):
    _write(engine, ["diagnosis: asthma", "ünïcode ✓", ""])
    assert _read(engine) == ["diagnosis: asthma", "ünïcode ✓", ""]
    with engine.connect() as conn:
        raw = [r[0] for r in conn.execute(text("SELECT note FROM person_notes"))]
    assert all(r.startswith("v1:k-") and "asthma" not in r for r in raw)
    assert len(set(raw[:1] + raw[1:])) == 3


def test_missing_or_wrong_keys_give_clear_errors(engine, key_file, monkeypatch, tmp_path):
    _write(engine, ["secret"])
    monkeypatch.delenv("CALLUP_KEY_FILE")
    with pytest.raises(CryptoError, match="no encryption keys are active"):
        _read(engine)
    other = tmp_path / "other.json"
    generate_key_file(other)
    monkeypatch.setenv("CALLUP_KEY_FILE", str(other))
    with pytest.raises(CryptoError, match="which is not in"):
        _read(engine)
    # Same key id, different bytes: authentication fails, never garbage.
    doc = json.loads(key_file.read_text())
    doc2 = json.loads(other.read_text())
    doc["keys"][doc["current"]] = doc2["keys"][doc2["current"]]
    other.write_text(json.dumps(doc))
    with pytest.raises(CryptoError, match="does not decrypt"):
        _read(engine)
    other.write_text("{not json")
    with pytest.raises(CryptoError, match="other.json: not valid JSON"):
        _read(engine)


def test_a_value_copied_to_another_row_still_decrypts_but_not_another_column(engine, key_file):
    from callup.crypto.keys import use_keys
    from callup.crypto.types import EncryptedText, blob_to_text, encrypt

    with use_keys(_ctx(engine).keys):
        moved = blob_to_text(encrypt(b"x", "campaigns.salt"))
        with pytest.raises(CryptoError, match="copied from another column"):
            EncryptedText("person_notes.note").process_result_value(moved, None)


def test_keys_from_the_environment(engine, key_file, monkeypatch):
    monkeypatch.delenv("CALLUP_KEY_FILE")
    monkeypatch.setenv("CALLUP_KEYS", key_file.read_text())
    _write(engine, ["env"])
    assert _read(engine) == ["env"]


def test_rotation_reencrypts_everything_resumably(engine, key_file, monkeypatch):
    texts = [f"note {i}" for i in range(25)]
    _write(engine, texts)
    old = json.loads(key_file.read_text())["current"]
    new, _ = generate_key_file(key_file)
    # An interrupted rotation: only the first batch gets done.
    calls = []

    def stop_after_first(n):
        calls.append(n)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rotate(_ctx(engine), batch=10, advance=stop_after_first)
    assert _usage(engine) == {new: 10, old: 15}
    report = rotate(_ctx(engine), batch=10)
    assert report.values_reencrypted == 15 and report.values_total == 25
    assert _usage(engine) == {new: 25}
    assert rotate(_ctx(engine), batch=10).values_reencrypted == 0  # idempotent
    # The old key may now go: everything reads with the new key alone.
    doc = json.loads(key_file.read_text())
    del doc["keys"][old]
    key_file.write_text(json.dumps(doc))
    assert _read(engine) == texts
    assert [e.details["values_reencrypted"] for e in audit.entries(engine, action="keys.rotate")] == [15, 0]


def _usage(engine) -> dict[str, int]:
    """Values per key id in the notes column (other encrypted columns are empty here)."""
    return next(u.by_key for u in key_usage(_ctx(engine)) if u.column == "person_notes.note")
