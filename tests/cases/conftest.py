"""Fixtures of case work's tests."""

from __future__ import annotations

import pytest

from callup_test_support import make_context, make_store_url


@pytest.fixture
def twin(store_url, store_templates, tmp_path):
    """A second, empty store on the same backend."""
    from callup.store import open_store
    from callup.store.engine import disconnect

    if store_url.startswith("sqlite"):
        (tmp_path / "twin").mkdir()
        url, drop = make_store_url("sqlite", tmp_path / "twin")
        store_templates.fill_sqlite(url)
    else:
        url, drop = store_templates.postgres_store(tmp_path)
    open_store(url)
    yield make_context(url)
    disconnect(url)
    drop()
