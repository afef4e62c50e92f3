"""Shared fixtures: a fresh store on every backend.

Store tests take the `engine` fixture and run once on SQLite and once on PostgreSQL. PostgreSQL
is used when `CALLUP_TEST_POSTGRES_URL` is set or the local server answers; in CI (`CI=true`)
it is required, so a missing server fails the run instead of silently skipping half the tests.
Each PostgreSQL test gets its own schema, cleaned afterwards for a later test (dropped if the test
changed its structure: see `SchemaPool`). A test's store is a copy of a store
migrated once per test process (see `StoreTemplates`): on PostgreSQL the schema comes migrated, as
a deploy leaves it; on SQLite the `ctx` and `engine` fixtures put the migrated file in place, and a
test that takes `store_url` alone finds no file there (the first command creates the store).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import sys

import pytest

# The suite keeps Python's bytecode caches even where the environment turns them off (PYTHONDONTWRITEBYTECODE):
# without them each xdist worker rewrites the asserts of every test module again (collection took 13.7 s a worker
# instead of 6.1 s) and each `python -m callup.cli` or server a test starts compiles the package's modules again.
# Set here, before the workers start, so that they and every process a test starts inherit it.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

from callup_test_support import BACKENDS, EXAMPLE_POLICY, StoreTemplates, make_context, make_store_url  # noqa: E402, F401 - after the caches are on


def _fresh_keys() -> str:
    return json.dumps({"current": "k-test", "keys": {"k-test": base64.b64encode(secrets.token_bytes(32)).decode()}})


@pytest.fixture(autouse=True)
def hermetic(tmp_path, monkeypatch):
    """Every test runs in its own directory with its own keys, and sees none of the caller's settings."""
    for name in [n for n in os.environ if n.startswith("CALLUP_") and n != "CALLUP_TEST_POSTGRES_URL"]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("CALLUP_KEYS", _fresh_keys())
    monkeypatch.setenv("CALLUP_ACTOR", "test-admin")
    monkeypatch.chdir(tmp_path)
    yield


@pytest.fixture(autouse=True, scope="session")
def light_password_hashes():
    """Passwords made in the tests are hashed by argon2id with one pass over 1 MiB on one lane: the same code and the
    same format (a check reads the cost from the hash, in a server process too), where the product's default (three
    passes over 64 MiB on four lanes, 0.13 s a hash or check) cost the web tests a tenth of their CPU."""
    from argon2 import PasswordHasher

    from callup.web import accounts

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        yield


@pytest.fixture(scope="session")
def store_templates(tmp_path_factory):
    """The migrated store of each backend, copied for each test that takes a store."""
    templates = StoreTemplates(tmp_path_factory.mktemp("store-templates"))
    yield templates
    templates.close()


@pytest.fixture
def ctx(store_url, store_templates):
    """The context of a national administrator on the test store, migrated (keys from the environment)."""
    from callup.store import open_store

    store_templates.fill_sqlite(store_url)
    open_store(store_url)
    return make_context(store_url)


@pytest.fixture(params=BACKENDS)
def store_url(request, tmp_path, monkeypatch, store_templates):
    """The URL of a fresh store, also set as CALLUP_DATABASE_URL for commands run in-process."""
    if request.param == "sqlite":
        url, drop = make_store_url(request.param, tmp_path)
    else:  # migrations are a deploy step on PostgreSQL: the schema comes migrated, as a deploy leaves it
        url, drop = store_templates.postgres_store(tmp_path)
    monkeypatch.setenv("CALLUP_DATABASE_URL", url)
    yield url
    from callup.store.engine import connect, disconnect

    disconnect(url)
    connect.cache_clear()
    drop()


@pytest.fixture
def engine(store_url, store_templates):
    from callup.store import open_store

    store_templates.fill_sqlite(store_url)
    return open_store(store_url)


@pytest.fixture(scope="session")
def policy():
    from callup.policy import load_policy

    return load_policy(EXAMPLE_POLICY)


def pytest_collection_modifyitems(config, items):  # noqa: ARG001
    """The tests marked slow (the crash harness's, 15-60 s each) run first: spread over the workers of `-n 2` at the
    start, a long test does not run alone at the end while the other worker waits."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_configure(config):  # noqa: ARG001
    """On SQLite a bulk job runs in a child forked from a server process (callup.store.isolation), which imports
    the first job's module; a test run starts every kind of job, so the server imports all their modules."""
    from callup.store import isolation

    isolation.preload("callup.campaigns.service", "callup.campaigns.fairness", "callup.jobs.daily",
                      "callup.register.eligibility", "callup.register.importer")
