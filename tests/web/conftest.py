"""One site per backend and test module: a drawn campaign with published summonses and an account of every role.

The site is built once per backend and test process and copied for each module (see `SiteTemplates`). The browser
tests share one Chromium per test process; each of their modules opens its own contexts (cookies, viewport).
"""

from __future__ import annotations

import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from callup_test_support import BACKENDS  # noqa: E402
from web_support import CHROMIUM, NO_CHROMIUM, SCREENSHOTS, Shots, SiteTemplates, missing, served_site  # noqa: E402


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


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright, started once per test process (a start cost about a second)."""
    if CHROMIUM is None:
        missing(NO_CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def served(site_templates, tmp_path_factory):
    """A site of the module's own, served by `callup serve` (one worker): (site, base URL)."""
    yield from served_site(site_templates, tmp_path_factory.mktemp("served"))


@pytest.fixture
def shots():
    return Shots(SCREENSHOTS)
