"""One site per backend and test module: a drawn campaign with published summonses and an account of every role.

The site is built once per backend and test process and copied for each module (see `SiteTemplates`).
"""

from __future__ import annotations

import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from callup_test_support import BACKENDS  # noqa: E402
from web_support import SiteTemplates  # noqa: E402


@pytest.fixture(scope="session")
def site_templates(tmp_path_factory):
    templates = SiteTemplates(tmp_path_factory.mktemp("site-templates"))
    yield templates
    templates.close()


@pytest.fixture(scope="module", params=BACKENDS)
def site(request, site_templates, tmp_path_factory):
    built, drop = site_templates.copy(request.param, tmp_path_factory.mktemp("site"))
    yield built
    from callup.store.engine import connect, disconnect
    from web_support import close_apps

    close_apps()
    disconnect(built.url)
    connect.cache_clear()
    drop()
