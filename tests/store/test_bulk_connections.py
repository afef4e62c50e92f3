"""Bulk work on PostgreSQL keeps its ADBC connections between sessions (opening one costs tens of milliseconds):
a connection comes back clean, one the server has ended is replaced, and `disconnect` closes them."""

from __future__ import annotations

import os
import time

import pytest
from sqlalchemy import text

from callup.store.bulk import BulkSession
from callup.store.engine import connect, disconnect
from callup_test_support import POSTGRES_URL

# On SQLite each bulk job runs in a child process with a connection of its own (callup.store.isolation).
pytestmark = [pytest.mark.db, pytest.mark.postgres, pytest.mark.skipif(POSTGRES_URL is None, reason="no PostgreSQL server"),
              pytest.mark.parametrize("store_url", ["postgres"], indirect=True)]

def _session_pid(store_url: str) -> int:
    with BulkSession(store_url) as bulk:
        return bulk.fetch("SELECT pg_backend_pid()")[0][0]


def test_a_second_bulk_session_reuses_the_connection_and_finds_it_clean(store_url):
    with BulkSession(store_url) as bulk:
        first = bulk.fetch("SELECT pg_backend_pid()")[0][0]
        bulk.execute("CREATE TEMPORARY TABLE _left_behind (x integer)")
        bulk.execute("SET work_mem = '77MB'")
    with BulkSession(store_url) as bulk:
        assert bulk.fetch("SELECT pg_backend_pid()")[0][0] == first
        assert bulk.fetch("SELECT count(*) FROM pg_tables WHERE tablename = '_left_behind'")[0][0] == 0
        assert bulk.fetch("SELECT current_setting('work_mem')")[0][0] != "77MB"
        assert bulk.fetch("SELECT current_setting('search_path')")[0][0] == store_url.rsplit("search_path%3D", 1)[1]  # the URL's schema still


def test_a_connection_the_server_ended_is_replaced(store_url):
    first = _session_pid(store_url)
    with connect(store_url).connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": first})
    second = _session_pid(store_url)
    assert second != first
    assert _session_pid(store_url) == second


def test_disconnect_closes_the_idle_bulk_connections(store_url):
    first = _session_pid(store_url)
    disconnect(store_url)
    deadline = time.monotonic() + 10  # the server ends a session a moment after its client has gone
    with connect(store_url).connect() as conn:
        while conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p"), {"p": first}).scalar_one():
            assert time.monotonic() < deadline, "the idle bulk connection is still open"
            time.sleep(0.05)
    assert _session_pid(store_url) != first


def test_a_forked_child_opens_its_own_connection(store_url):
    parent = _session_pid(store_url)
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        try:
            os.write(write, str(_session_pid(store_url)).encode())
        finally:
            os._exit(0)
    os.close(write)
    theirs = int(os.read(read, 64))
    os.waitpid(child, 0)
    assert theirs != parent
    assert _session_pid(store_url) == parent  # the parent's connection still works


def test_disconnect_finds_them_whatever_the_order_of_the_url_s_query(store_url):
    base, options = store_url.split("?", 1)
    written = f"{base}?sslmode=prefer&{options}"  # SQLAlchemy writes the query sorted: options first
    first = _session_pid(written)
    disconnect(written)
    assert _session_pid(written) != first
    disconnect(written)
