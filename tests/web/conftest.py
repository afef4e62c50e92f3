"""One site per backend and test module: a drawn campaign with published summonses and an account of every role."""

from __future__ import annotations

import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from callup_test_support import BACKENDS, make_store_url  # noqa: E402
from web_support import build_site  # noqa: E402


@pytest.fixture(scope="module", params=BACKENDS)
def site(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("site")
    url, drop = make_store_url(request.param, tmp)
    built = build_site(url, tmp)
    yield built
    from callup.store.engine import connect

    connect(url).dispose()
    connect.cache_clear()
    drop()
