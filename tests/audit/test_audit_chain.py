"""The audit log: entries in the caller's transaction, a hash chain whose every kind of tampering is named."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import threading
from typing import ClassVar

import pytest
from sqlalchemy import text

from callup import audit
from callup.context import make_actor
from callup.store.isolation import run_job
from callup.uow import UnitOfWork
from callup_test_support import make_context

NOW = dt.datetime(2027, 4, 1, 9, 30, tzinfo=dt.UTC)
ADMIN = make_actor("test-admin", "administrator")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Touched(audit.AuditEvent):
    """test.touch: a test event."""

    action: ClassVar[str] = "test.touch"
    n: int


def _append(engine, count: int, start: int = 0) -> None:
    ctx = make_context(engine.url.render_as_string(hide_password=False), now=NOW)
    for i in range(start, start + count):
        with UnitOfWork(ctx, engine=engine) as uow:
            uow.record(Touched(target=audit.person(f"P{i % 3}"), n=i, reason="because"))


def _sql(engine, statement: str) -> None:
    with engine.begin() as conn:
        conn.execute(text(statement))


def test_entries_chain_and_verify(engine):
    _append(engine, 5)
    result = audit.verify(engine)
    assert result.ok and result.count == 5 and result.first_bad is None
    log = audit.entries(engine)
    assert [e.seq for e in log] == [1, 2, 3, 4, 5]
    assert all(b.prev_hash == a.hash for a, b in zip(log, log[1:]))
    assert log[0].details == {"n": 0} and log[0].role == "administrator" and log[0].at == "2027-04-01T09:30:00.000000Z"
    assert [e.details["n"] for e in audit.entries(engine, person_id="P1")] == [1, 4]


def test_an_entry_rolls_back_with_its_change(engine):
    _append(engine, 1)
    with pytest.raises(RuntimeError), engine.begin() as conn:
        audit.record(conn, Touched(target="x", n=99), actor=ADMIN, at="2027-04-01T09:30:00.000000Z")
        raise RuntimeError("the change failed")
    assert audit.verify(engine).count == 1


@pytest.mark.parametrize("tamper, first_bad, words", [
    ("UPDATE audit_log SET reason = 'edited' WHERE seq = 3", 3, "does not match its hash"),
    ("UPDATE audit_log SET details = '{\"n\": 7}' WHERE seq = 2", 2, "does not match its hash"),
    ("DELETE FROM audit_log WHERE seq = 4", 4, "missing"),
    ("DELETE FROM audit_log WHERE seq = 6", 6, "missing"),  # the last one: the head still names it
    ("UPDATE audit_log SET seq = seq + 100 WHERE seq >= 3", 3, "missing"),
    # The head's first hex digit changed to another one (a fixed prefix would leave 1 head in 256 as it was).
    ("UPDATE audit_head SET hash = CASE substr(hash, 1, 1) WHEN '0' THEN '1' ELSE '0' END || substr(hash, 2)",
     7, "head"),
])
def test_every_kind_of_tampering_is_named(engine, tamper, first_bad, words):
    _append(engine, 6)
    _sql(engine, tamper)
    result = audit.verify(engine)
    assert not result.ok and result.first_bad == first_bad and words in result.problem


def test_an_inserted_or_reordered_entry_is_detected(engine):
    _append(engine, 4)
    # Swap the contents of entries 2 and 3 (a reordering that keeps the sequence numbers).
    rows = {e.seq: e for e in audit.entries(engine)}
    with engine.begin() as conn:
        for seq, other in ((2, 3), (3, 2)):
            e = rows[other]
            conn.execute(text("UPDATE audit_log SET at = :at, details = :d, target = :t, hash = :h, prev_hash = :p WHERE seq = :s"),
                         {"at": e.at, "d": json.dumps(e.details), "t": e.target, "h": e.hash, "p": e.prev_hash, "s": seq})
    result = audit.verify(engine)
    assert not result.ok and result.first_bad == 2 and "prev_hash" in result.problem


def test_a_rewritten_chain_is_caught_by_a_published_anchor(engine, tmp_path):
    _append(engine, 3)
    published = audit.anchor(engine, now=NOW)
    assert published["count"] == 3
    _append(engine, 2, start=3)
    assert audit.verify(engine, anchor=published).ok  # the chain grew: the anchor is still on it
    # Rewrite everything consistently (as someone with write access could), from entry 2 on.
    log = audit.entries(engine)
    _sql(engine, "DELETE FROM audit_log WHERE seq >= 2")
    _sql(engine, f"UPDATE audit_head SET seq = 1, hash = '{log[0].hash}'")
    _append(engine, 4, start=10)
    assert audit.verify(engine).ok  # self-consistent...
    result = audit.verify(engine, anchor=published)  # ...but not the chain that was published
    assert not result.ok and result.first_bad == 3 and "rewritten" in result.problem
    _sql(engine, "DELETE FROM audit_log WHERE seq >= 2")
    _sql(engine, f"UPDATE audit_head SET seq = 1, hash = '{log[0].hash}'")
    assert "fewer than the anchor" in audit.verify(engine, anchor=published).problem


def _bulk_job(ctx, *, advance):
    from callup.store.bulk import BulkSession

    with BulkSession(ctx.database_url) as bulk, bulk.transaction():
        return audit.bulk_record(bulk, ctx, Touched(target="import:1", n=42)).seq


def test_a_bulk_session_appends_to_the_same_chain(engine, store_url):
    _append(engine, 2)
    job_ctx = make_context(store_url, name="bulk-job", role="system", now=NOW + dt.timedelta(hours=1))
    assert run_job(job_ctx, _bulk_job) == 3
    _append(engine, 1, start=5)
    assert audit.verify(engine).count == 4
    bulk_entry = audit.entries(engine, target="import:1")[0]
    assert (bulk_entry.actor, bulk_entry.role, bulk_entry.at) == ("bulk-job", "system", "2027-04-01T10:30:00.000000Z")


def test_concurrent_appenders_never_fork_the_chain(engine):
    errors = []

    def worker(k: int) -> None:
        try:
            _append(engine, 10, start=k * 100)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    result = audit.verify(engine)
    assert result.ok and result.count == 40


def test_many_entries_in_one_unit_chain_with_the_units_before_and_after_it_and_the_head_names_the_last(engine):
    _append(engine, 1)
    ctx = make_context(engine.url.render_as_string(hide_password=False), now=NOW)
    with UnitOfWork(ctx, engine=engine) as uow:  # the head is read once here and written back at commit
        for i in range(1, 7):
            uow.record(Touched(target=audit.person(f"P{i % 2}"), n=i))
    _append(engine, 1, start=7)
    result = audit.verify(engine)
    assert result.ok and result.count == 8
    last = audit.entries(engine)[-1]
    with engine.connect() as conn:
        assert tuple(conn.execute(text("SELECT seq, hash FROM audit_head WHERE id = 1")).one()) == (8, last.hash)
    assert [e.details["n"] for e in audit.entries(engine, person_id="P1")] == [1, 3, 5, 7]


def test_a_units_entries_are_written_in_one_statement_and_its_own_reads_of_the_log_see_them(engine):
    from sqlalchemy import event

    ctx = make_context(engine.url.render_as_string(hide_password=False), now=NOW)
    inserts: list[int] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO audit_log"):  # rows in the statement: one VALUES group or array element each
            inserts.append(len(parameters[0]) if "unnest(" in statement else statement.count("), (") + 1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with UnitOfWork(ctx, engine=engine) as uow:
            for i in range(3):
                uow.record(Touched(target=audit.person("P1"), n=i))
            seen = uow.execute(text("SELECT count(*) FROM audit_log")).scalar_one()  # the same transaction reads them
            for i in range(3, 5):
                uow.record(Touched(target=audit.person("P1"), n=i))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert seen == 3
    assert inserts == [3, 2]
    result = audit.verify(engine)
    assert result.ok and result.count == 5


def test_people_a_unit_says_it_will_name_are_looked_up_in_one_statement_and_named_as_before(engine):
    """The people named before are looked up in one statement, those never named are named in one more (P7, P8)."""
    from sqlalchemy import event

    _append(engine, 3)  # P0, P1 and P2 are named in the log already
    ctx = make_context(engine.url.render_as_string(hide_password=False), now=NOW)
    looked_up: list[str] = []
    named: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("SELECT") and "audit_subjects" in statement:
            looked_up.append(statement)
        if statement.startswith("INSERT INTO audit_subjects"):
            named.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with UnitOfWork(ctx, engine=engine) as uow:
            uow.will_name(["P1", "P2", "P7", "P8"])
            for n, who in enumerate(["P1", "P7", "P2", "P8", "P7"]):
                uow.record(Touched(target=audit.person(who), n=10 + n))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(looked_up) == 1 and len(named) == 1
    assert [e.details["n"] for e in audit.entries(engine, person_id="P1")] == [1, 10]
    assert [e.details["n"] for e in audit.entries(engine, person_id="P7")] == [11, 14]
    assert [e.details["n"] for e in audit.entries(engine, person_id="P8")] == [13]
    assert audit.verify(engine).ok


def test_a_unit_that_fails_after_its_entries_leaves_the_chain_and_its_head_as_they_were(engine):
    _append(engine, 2)
    ctx = make_context(engine.url.render_as_string(hide_password=False), now=NOW)
    with pytest.raises(RuntimeError), UnitOfWork(ctx, engine=engine) as uow:
        for i in range(3):
            uow.record(Touched(target=audit.person("P9"), n=100 + i))
        raise RuntimeError("the change failed")
    _append(engine, 1, start=2)
    result = audit.verify(engine)
    assert result.ok and result.count == 3
    assert audit.entries(engine, person_id="P9") == []


def test_entries_rolled_back_to_a_savepoint_leave_a_chain_that_continues_from_before_it(engine):
    ctx = make_context(engine.url.render_as_string(hide_password=False), now=NOW)
    with UnitOfWork(ctx, engine=engine) as uow:
        uow.record(Touched(target=audit.person("P1"), n=1))
        with uow.conn.begin_nested() as attempt:
            uow.record(Touched(target=audit.person("P2"), n=2))
            attempt.rollback()
        uow.record(Touched(target=audit.person("P2"), n=3))
    result = audit.verify(engine)
    assert result.ok and result.count == 2
    assert [e.details["n"] for e in audit.entries(engine)] == [1, 3]


def test_a_record_refuses_an_engine(engine):
    with pytest.raises(TypeError, match="Connection"):
        audit.record(engine, Touched(target="x", n=1), actor=ADMIN, at="2027-04-01T09:30:00.000000Z")


def test_entries_appended_while_the_chain_is_read_are_not_mistaken_for_deleted_ones(engine, monkeypatch):
    """The chain and its head are read in one snapshot: an entry committed between the last batch and the head
    (a busy web server) leaves the verification whole."""
    from callup.audit import chain

    _append(engine, 3)
    batches = chain._batches

    def and_then_a_writer(conn, size=20_000, *, after=0):  # noqa: ANN001, ANN202
        yield from batches(conn, size, after=after)
        _append(engine, 1, start=3)  # committed by another connection before the head is read

    monkeypatch.setattr(chain, "_batches", and_then_a_writer)
    result = audit.verify(engine)
    assert result.ok and result.count == 3, result.problem
    monkeypatch.undo()
    assert audit.verify(engine).count == 4


def test_a_chain_verified_in_bounded_steps_is_verified_whole_and_a_bad_entry_is_found_in_its_step(engine):
    _append(engine, 10)
    steps, after, prev = [], 0, audit.chain.GENESIS
    while True:
        step = audit.verify(engine, after=after, after_hash=prev, limit=3)
        assert step.ok, step.problem
        steps.append((step.start, step.count, step.complete))
        if step.complete:
            break
        after, prev = step.count, step.head_hash
    assert steps == [(0, 3, False), (3, 6, False), (6, 9, False), (9, 10, True)]
    assert prev == audit.entries(engine)[8].hash and audit.verify(engine).head_hash == step.head_hash
    _sql(engine, "UPDATE audit_log SET reason = 'edited' WHERE seq = 8")
    assert audit.verify(engine, after=3, after_hash=audit.entries(engine)[2].hash, limit=3).complete is False  # 4-6 are fine
    broken = audit.verify(engine, after=6, after_hash=audit.entries(engine)[5].hash, limit=3)
    assert (broken.ok, broken.first_bad, broken.kind) == (False, 8, "edited")
    forged = audit.verify(engine, after=3, after_hash="ab" * 32, limit=3)  # a step cannot be continued from a made-up hash
    assert (forged.ok, forged.first_bad, forged.kind) == (False, 4, "link")


def test_a_person_another_unit_names_first_is_named_by_its_commitment(engine):
    """Two units name a new person at once: the one that inserts second takes the first one's commitment, so the log
    names the person one way."""
    from sqlalchemy import event, text

    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time: no other unit can name the person in between")
    ctx = make_context(engine.url.render_as_string(hide_password=False), now=NOW)

    raced: list[bool] = []

    def first(conn, cursor, statement, parameters, context, executemany):  # another unit names P5 just before
        if statement.startswith("INSERT INTO audit_subjects") and not raced:
            raced.append(True)
            with engine.begin() as other:
                other.execute(text("INSERT INTO audit_subjects (national_id, salt, commitment) VALUES ('P5', '00', 'person#other')"))

    event.listen(engine, "before_cursor_execute", first)
    try:
        with UnitOfWork(ctx, engine=engine) as uow:
            uow.will_name(["P5", "P6"])
            uow.record(Touched(target=audit.person("P5"), n=1))
            uow.record(Touched(target=audit.person("P6"), n=2))
    finally:
        event.remove(engine, "before_cursor_execute", first)
    with engine.connect() as conn:
        targets = dict(conn.execute(text("SELECT seq, target FROM audit_log")).tuples().all())
    assert "person#other" in targets.values() and len(set(targets.values())) == 2
    assert [e.details["n"] for e in audit.entries(engine, person_id="P5")] == [1]
    assert audit.verify(engine).ok
