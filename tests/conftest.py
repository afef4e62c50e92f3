"""Shared fixtures: a fresh store on every backend.

Store tests take the `engine` fixture and run once on SQLite and once on PostgreSQL. PostgreSQL
is used when `CALLUP_TEST_POSTGRES_URL` is set or the local server answers; in CI (`CI=true`)
it is required, so a missing server fails the run instead of silently skipping half the tests.
Each PostgreSQL test gets its own schema, dropped afterwards.
"""

from __future__ import annotations

import base64
import json
import os
import secrets

import pytest

from callup_test_support import BACKENDS, EXAMPLE_POLICY, make_store_url  # noqa: F401


# Encryption keys for every test and the commands they start (a test may replace them).
os.environ.setdefault("CALLUP_KEYS", json.dumps({"current": "k-test", "keys": {"k-test": base64.b64encode(secrets.token_bytes(32)).decode()}}))


@pytest.fixture(params=BACKENDS)
def store_url(request, tmp_path, monkeypatch):
    """The URL of a fresh store, also set as CALLUP_DATABASE_URL for commands run in-process."""
    url, drop = make_store_url(request.param, tmp_path)
    monkeypatch.setenv("CALLUP_DATABASE_URL", url)
    yield url
    from callup.store.engine import connect

    connect(url).dispose()
    connect.cache_clear()
    drop()


@pytest.fixture
def engine(store_url):
    from callup.store import open_store

    return open_store(store_url)


@pytest.fixture(scope="session")
def policy():
    from callup.policy import load_policy

    return load_policy(EXAMPLE_POLICY)
