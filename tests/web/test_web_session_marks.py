"""A worker answers a citizen's reload without asking the store (PostgreSQL), and still shows every change
to the person, and every ended session, as soon as the store's notice of it arrives (web/session_marks.py)."""

from __future__ import annotations

import contextlib
import time

import pytest
from hypothesis import given, settings, strategies as st
from sqlalchemy import create_engine, event, text

from callup.notices import service
from callup.uow import UnitOfWork
from callup.web.session_marks import SessionMarks, listener_name, person_key
from callup.web.sessions import CITIZEN
from callup_test_support import BACKENDS
from web_support import client, session_cookie

ON_POSTGRES = pytest.mark.parametrize("site", [pytest.param("postgres", marks=BACKENDS[1].marks)], indirect=True)


def _as(site, citizen, **settings):  # noqa: ANN001, ANN003, ANN202
    c = client(site, **settings)
    c.cookies.set("callup_session", session_cookie(site, citizen=citizen))
    return c


@contextlib.contextmanager
def _statements(web):  # noqa: ANN001, ANN202
    """Counts the statements the worker sends to the store."""
    sent: list[str] = []

    def count(conn, cursor, statement, *args):  # noqa: ANN001, ANN002, ANN202
        sent.append(statement)

    for engine in {web.engine, web.read_engine}:
        event.listen(engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        for engine in {web.engine, web.read_engine}:
            event.remove(engine, "before_cursor_execute", count)


def _until(check, seconds: float = 3.0) -> bool:  # noqa: ANN001
    """Whether `check()` becomes true within `seconds` (a notice takes milliseconds to arrive)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.02)
    return check()


def _remembered(c):  # noqa: ANN001, ANN202
    """The worker behind `c` once it listens and remembers `c`'s session: a reload then sends the store nothing."""
    web = c.app.state.web
    assert c.get("/portal").status_code == 200
    assert _until(lambda: web.marks.live)
    c.get("/portal")
    with _statements(web) as sent:
        assert c.get("/portal").status_code == 200
    assert sent == []
    return web


def _badge(c) -> str:  # noqa: ANN001
    return c.get("/api/v1/me/status").json()["summonses"][0]["status"]


@ON_POSTGRES
def test_a_reload_is_answered_without_a_statement_to_the_store(site):
    c = _as(site, site.citizens[60])
    web = _remembered(c)
    c.get("/api/v1/me/status")
    with _statements(web) as sent:
        page, answer = c.get("/portal"), c.get("/api/v1/me/status")
    assert page.status_code == 200 and site.citizens[60].reference in page.text
    assert answer.json()["status"] == "summoned"
    assert sent == []


@ON_POSTGRES
def test_a_change_to_the_person_made_by_another_process_shows_once_its_notice_arrives(site):
    cit = site.citizens[61]
    c = _as(site, cit)
    assert _badge(c) == "sent"
    _remembered(c)  # what follows shows the store's notice at work, not a read
    elsewhere = create_engine(site.url)  # another worker's connection: its commits are not this process's
    try:
        with UnitOfWork(site.admin, engine=elsewhere) as uow:
            service.opened_in_portal(uow, cit.reference, session="another worker")
    finally:
        elsewhere.dispose()
    assert _until(lambda: _badge(c) == "delivered")


@ON_POSTGRES
def test_a_session_ended_by_another_process_is_refused_once_its_notice_arrives(site):
    cit = site.citizens[62]
    c = _as(site, cit)
    _remembered(c)  # what follows shows the store's notice at work, not a read
    elsewhere = create_engine(site.url)
    try:
        with elsewhere.begin() as conn:  # as an administrator's "end this person's sessions" on another worker
            assert conn.execute(text("UPDATE web_sessions SET revoked_at = now(), revoked_why = 'revoked' "
                                     "WHERE revoked_at IS NULL AND kind = :k"), {"k": CITIZEN}).rowcount >= 1
    finally:
        elsewhere.dispose()
    assert _until(lambda: c.get("/portal").status_code == 303)
    assert c.get("/portal").headers["location"].startswith("/signin")


@ON_POSTGRES
def test_after_the_store_drops_the_listening_connection_a_reload_asks_the_store_again(site):
    c = _as(site, site.citizens[63])
    web = _remembered(c)
    began = web.marks.connections
    admin = create_engine(site.url)
    try:
        with admin.connect() as conn:  # the store drops the listener's connection (a restart, say)
            assert conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                     "WHERE application_name = :n AND datname = current_database()"),
                                {"n": listener_name()}).scalar() >= 1
    finally:
        admin.dispose()
    assert _until(lambda: web.marks.connections == began + 1)  # listening again
    with _statements(web) as sent:
        assert c.get("/portal").status_code == 200
    assert sent  # what it remembered was forgotten: notices may have been missed meanwhile


# -- the rules of remembering, without a store ------------------------------------------------------------

SESSIONS = ["s1", "s2", "s3"]
PERSON = {"s1": "p1", "s2": "p1", "s3": "p2"}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(
    st.tuples(st.just("read"), st.sampled_from(SESSIONS), st.booleans()),  # a request reads the store; True: a notice overtakes it
    st.tuples(st.just("person"), st.sampled_from(["p1", "p2"]), st.none()),
    st.tuples(st.just("session"), st.sampled_from(SESSIONS), st.none()),
    st.tuples(st.just("everything"), st.none(), st.none()),
    st.tuples(st.just("reconnect"), st.none(), st.none()),
    st.tuples(st.just("local commit"), st.sampled_from(["p1", "p2"]), st.none()),
    st.tuples(st.just("notices arrive"), st.none(), st.none())), max_size=40))
def test_a_remembered_answer_is_never_older_than_the_last_notice_about_it(steps):
    """The store's truth: each person's mark and which sessions are live. Whatever the order of reads, notices,
    this process's own commits and reconnections, `get` answers only the truth of now, or None (ask the store)."""
    commits = [0]
    in_flight: list[str] = []  # notices committed, not yet delivered to the listener (delivered in commit order)
    marks = SessionMarks("", lambda payload: deliver(payload), ttl=1e9, local_commits=lambda: commits[0])

    def deliver(payload: str | None = None) -> None:  # the listener handles what is in flight, then `payload`
        for notice in [*in_flight, *([payload] if payload else [])]:
            marks._handle(notice)
        in_flight.clear()

    marks._thread = object()  # type: ignore[assignment]  # no listening thread: the test delivers the notices
    marks._connected(True)
    mark = {"p1": 1, "p2": 1}
    live = set(SESSIONS)
    for kind, what, overtaken in steps:
        if kind == "read" and what in live:
            began = marks.begin()
            seen = mark[PERSON[what]]
            if overtaken:  # the person changes (and is notified) after the read, before it is remembered
                mark[PERSON[what]] += 1
                marks._handle(f"p {PERSON[what]}")
            marks.remember(what, PERSON[what], seen, began)
        elif kind == "person":
            mark[what] += 1
            marks._handle(f"p {what}")
        elif kind == "session":
            live.discard(what)
            marks._handle(f"s {what}")
        elif kind == "everything":
            mark = {p: m + 1 for p, m in mark.items()}
            marks._handle("*")
        elif kind == "reconnect":
            marks._connected(False)
            mark = {p: m + 1 for p, m in mark.items()}  # changed while nobody listened
            marks._connected(True)
        elif kind == "local commit":  # this process's own write: its notice is on its way
            commits[0] += 1
            mark[what] += 1
            in_flight.append(f"p {what}")
        elif kind == "notices arrive":
            deliver()
        for s in SESSIONS:
            for catch_up in (False, True):  # on the event loop (never waits), and in a thread (catches up)
                found = marks.get(s, catch_up=catch_up)
                if found is not None:
                    assert s in live and found[0] == mark[PERSON[s]]


def test_a_worker_whose_own_notice_never_comes_back_stops_trusting_what_it_remembers():
    marks = SessionMarks("", lambda payload: None, ttl=1e9, local_commits=lambda: 1)  # a notice sent, never heard
    marks._thread = object()  # type: ignore[assignment]
    marks._connected(True)
    marks.remember("s1", "p1", 5, marks.begin())
    marks._synced = 0
    started = time.monotonic()
    assert marks.get("s1", catch_up=True) is None  # this process committed: it must hear its own notice first
    assert time.monotonic() - started < 3
    assert not marks.live and marks._deaf  # the listener is told to connect again; meanwhile every request asks the store
    assert marks.get("s1", catch_up=True) is None


def test_another_workers_notice_to_itself_does_not_pass_for_ours():
    marks = SessionMarks("", lambda payload: None, ttl=1e9, local_commits=lambda: 0)
    marks._thread = object()  # type: ignore[assignment]
    marks._connected(True)
    marks.remember("s1", "p1", 5, marks.begin())
    marks._synced = 0  # caught up with this process's commits (none)
    marks._handle("sync 0123456789abcdef-1")  # same token number, another worker
    marks._handle("beat 0123456789abcdef-1")  # another worker's heartbeat: not a change
    assert marks._seen == 0
    assert marks.get("s1", catch_up=False) == (5,)


def test_a_person_is_named_in_notices_by_a_key_not_their_national_id():
    assert person_key(" 1234567890 ") == person_key("1234567890") != "1234567890"
    assert len(person_key("1234567890")) == 16


@ON_POSTGRES
def test_erasing_people_from_the_audit_log_makes_every_worker_forget_what_it_remembered(site):
    from callup.audit.chain import erase_subjects

    c = _as(site, site.citizens[64])
    web = _remembered(c)
    elsewhere = create_engine(site.url)  # retention on another machine: the erased people's marks change without an entry
    try:
        with elsewhere.begin() as conn:  # someone the log names (whatever the other tests did first)
            conn.execute(text("INSERT INTO audit_subjects (national_id, salt, commitment) VALUES (:n, :s, :c)"),
                         {"n": "erased-in-this-test", "s": "00" * 32, "c": "person#" + "0" * 32})
        with elsewhere.begin() as conn:
            assert erase_subjects(conn, ["erased-in-this-test"]) == 1
    finally:
        elsewhere.dispose()

    def asks_the_store() -> bool:
        with _statements(web) as sent:
            c.get("/portal")
        return bool(sent)

    assert _until(asks_the_store)
