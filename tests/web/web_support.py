"""A drawn campaign with issued and published summonses, accounts of every role, and a web client on it."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime as dt
import json
import os
import pathlib
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest
from sqlalchemy import select

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "campaigns"))

from callup.context import Context, FixedClock, make_actor  # noqa: E402
from callup.crypto.keys import KeyRing  # noqa: E402
from callup.examples import path as example  # noqa: E402
from callup.notices import service  # noqa: E402
from callup.notices.tables import Summons  # noqa: E402
from callup.uow import UnitOfWork  # noqa: E402
from callup_test_support import EXAMPLE_POLICY, REPO  # noqa: E402
from campaign_helpers import drawn, load_register, on_day  # noqa: E402

#: Debian's Chromium, which the browser tests drive (never `playwright install`): its headless shell, as Playwright
#: uses by default (the whole browser cost the walks 2.5 times the CPU), else the whole browser; None without either.
CHROMIUM = next((p for p in ("/usr/lib/chromium/chromium-headless-shell", "/usr/lib/chromium/chromium", "/usr/bin/chromium") if pathlib.Path(p).exists()), None)
NO_CHROMIUM = "Debian's chromium-headless-shell (or chromium) is not installed (bin/setup --test installs it)"
#: The browser tests' mark: skipped without Chromium, except in CI (`CI=true`), where the browser fixture fails instead.
NEEDS_CHROMIUM = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason=NO_CHROMIUM)
SCREENSHOTS = os.environ.get("CALLUP_SCREENSHOTS")  # read on import, before the hermetic fixture clears CALLUP_* variables

ISSUE_DAY = dt.date(2027, 2, 1)
NOW = dt.datetime(2027, 2, 1, 9, 0, tzinfo=dt.UTC)
PASSWORD = "correct horse battery staple"
TOTP = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@dataclasses.dataclass
class Citizen:
    national_id: str
    reference: str
    code: str
    region: str


@dataclasses.dataclass
class Site:
    url: str
    keys: KeyRing
    admin: Context
    citizens: list[Citizen]
    regions: list[str]  # by number of summonses, most first
    users: dict[str, dict]  # name -> {role, regions}

    def settings(self, **overrides):  # noqa: ANN003, ANN201
        from callup.web.settings import WebSettings

        values = dict(database_url=self.url, keys=self.keys, clock=FixedClock(NOW), policy_path=str(EXAMPLE_POLICY))
        values.update(overrides)
        return WebSettings(**values)

    def in_region(self, region: str) -> list[Citizen]:
        return [c for c in self.citizens if c.region == region]

    def keys_json(self) -> str:
        """The site's keys as CALLUP_KEYS takes them, for a command or server run on the site."""
        return json.dumps({"current": self.keys.current, "keys": {k: b64(v) for k, v in self.keys.keys.items()}})


def test_keys() -> KeyRing:
    return KeyRing(current="k-web", keys={"k-web": secrets.token_bytes(32)}, source="tests")


def build_site(url: str, tmp_path: pathlib.Path, *, people: int = 3000, quota: int = 90) -> Site:
    from callup.store import open_store
    from callup.web.accounts import add_user

    open_store(url)
    keys = test_keys()
    admin = Context(actor=make_actor("test-admin", "administrator"), database_url=url, clock=FixedClock(NOW), keys=keys,
                    policy_path=str(EXAMPLE_POLICY))
    load_register(admin, tmp_path, people=people)
    drawn(admin, quota=quota, over_call="0")
    day = on_day(admin, ISSUE_DAY)
    with UnitOfWork(day) as uow:
        service.issue_summonses(uow, "spring-2027", offices_path=example("offices/republic-of-example.csv"))
        service.publish_notices(uow, "spring-2027")
    t = Summons.__table__
    with UnitOfWork(day, write=False) as uow:
        rows = uow.execute(select(t.c.national_id, t.c.reference, t.c.code, t.c.region).order_by(t.c.id)).all()
    citizens = [Citizen(*r) for r in rows]
    from collections import Counter

    regions = [r for r, _ in Counter(c.region for c in citizens).most_common()]  # the busiest first: A and B
    a, b = regions[0], regions[1]
    users = {"admin": {"role": "administrator", "regions": None}, f"officer-{a}": {"role": "officer", "regions": a},
             f"officer-{b}": {"role": "officer", "regions": b}, f"medical-{a}": {"role": "medical", "regions": a},
             "auditor": {"role": "auditor", "regions": None}}
    with UnitOfWork(day) as uow:
        for name, spec in users.items():
            add_user(uow, name, role=spec["role"], regions=spec["regions"], password=PASSWORD, office=f"Office of {spec['regions'] or 'the nation'}",
                     totp_secret=TOTP)
    return Site(url, keys, admin, citizens, regions, users)


class SiteTemplates:
    """Each backend's site built once per test process; every user of a site gets its own copy of that store.

    Building a site (import a register, draw, issue, publish) takes seconds; copying its store takes a
    fraction of one. A copy is the same store a fresh build would give, so no module sees another's writes:
    on SQLite the file is copied (sqlite3's backup), on PostgreSQL a new database is made from the
    template's (`CREATE DATABASE ... TEMPLATE`), with the same schema on its search path.
    """

    SCHEMA = "site"

    def __init__(self, root: pathlib.Path) -> None:
        self.root = root
        self.built: dict[str, Site] = {}
        self.databases: list[str] = []  # PostgreSQL databases made here, dropped by close()
        self.dropping: list = []  # drops under way (a DROP DATABASE waits for a checkpoint: done beside the tests)

    def _server(self):  # noqa: ANN202
        from sqlalchemy import create_engine

        from callup_test_support import POSTGRES_URL

        return create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")

    def _postgres_url(self, database: str) -> str:
        from sqlalchemy.engine import make_url

        from callup_test_support import POSTGRES_URL, schema_url

        return schema_url(self.SCHEMA, make_url(POSTGRES_URL).set(database=database).render_as_string(hide_password=False))

    def _new_database(self, template: str | None = None) -> str:
        import uuid

        from sqlalchemy import text

        name = f"callup_site_{uuid.uuid4().hex[:12]}"
        server = self._server()
        with server.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
        server.dispose()
        self.databases.append(name)
        return name

    def _drop_database(self, name: str) -> None:
        from sqlalchemy import text

        server = self._server()
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()
        self.databases.remove(name)

    def template(self, backend: str) -> Site:
        if backend not in self.built:
            from sqlalchemy import create_engine, text

            from callup.store.engine import disconnect

            tmp = self.root / f"template-{backend}"
            tmp.mkdir(parents=True)
            if backend == "sqlite":
                url = f"sqlite:///{tmp / 'callup.db'}"
            else:
                url = self._postgres_url(self._new_database())
                bare = create_engine(url)
                with bare.begin() as conn:
                    conn.execute(text(f'CREATE SCHEMA "{self.SCHEMA}"'))
                bare.dispose()
            self.built[backend] = build_site(url, tmp)
            disconnect(url)  # no connection may stay open on a template database (nor on a file being copied)
        return self.built[backend]

    def copy(self, backend: str, tmp_path: pathlib.Path) -> tuple[Site, callable]:
        """A new store holding the built site of `backend`, and a function that removes it."""
        import copy
        import sqlite3

        from sqlalchemy.engine import make_url

        template = self.template(backend)
        if backend == "sqlite":
            path = tmp_path / "callup.db"
            source, target = sqlite3.connect(make_url(template.url).database), sqlite3.connect(path)
            with target:
                source.backup(target)
            source.close()
            target.close()
            url, drop = f"sqlite:///{path}", lambda: None
        else:
            name = self._new_database(template=make_url(template.url).database)
            url = self._postgres_url(name)

            def drop() -> None:
                import threading

                dropping = threading.Thread(target=self._drop_database, args=(name,))
                dropping.start()
                self.dropping.append(dropping)

        admin = dataclasses.replace(template.admin, database_url=url, clock=copy.deepcopy(template.admin.clock))
        site = dataclasses.replace(template, url=url, admin=admin, citizens=copy.deepcopy(template.citizens),
                                   regions=list(template.regions), users=copy.deepcopy(template.users))
        return site, drop

    def close(self) -> None:
        from callup.store.engine import disconnect

        for site in self.built.values():
            disconnect(site.url)
        for dropping in self.dropping:
            dropping.join()
        for name in list(self.databases):
            self._drop_database(name)


def missing(what: str) -> None:
    """A tool the browser tests need is not installed: the test is skipped, or fails in CI (`CI=true`), where
    skipping would let the walks pass unnoticed."""
    (pytest.fail if os.environ.get("CI") else pytest.skip)(what)


def run_async(awaitable):  # noqa: ANN001, ANN201
    """`asyncio.run(awaitable)` on a thread of its own: the test process's browser (Playwright's sync API, shared by
    the browser tests) keeps an event loop running in the main thread, where asyncio.run refuses to start one."""
    import asyncio
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, awaitable).result()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(site: Site, tmp: pathlib.Path, *, now: dt.datetime = NOW, workers: int = 1) -> Iterator[str]:
    """`callup serve` on the site in a process of its own, its clock standing at `now`; yields the base URL.

    One worker unless a test is about several: each worker starts the whole application again (about 1.5 s of
    a core), and a browser walk sends one request at a time."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLUP_")}
    env.update(CALLUP_DATABASE_URL=site.url, CALLUP_NOW=now.isoformat(), CALLUP_POLICY=str(site.admin.policy_path),
               CALLUP_KEYS=site.keys_json())
    with open(tmp / "serve.log", "w") as log:
        server = subprocess.Popen([sys.executable, "-m", "callup.cli", "serve", "--port", str(port), "--workers", str(workers)],
                                  env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    urllib.request.urlopen(base + "/signin", timeout=1).read()
                    break
                except OSError:
                    if server.poll() is not None:
                        raise RuntimeError((tmp / "serve.log").read_text()) from None
                    time.sleep(0.1)
            yield base
        finally:
            server.terminate()
            server.wait(timeout=20)


@contextlib.contextmanager
def copied_site(site_templates: SiteTemplates, tmp: pathlib.Path) -> Iterator[Site]:
    """A copy of the built site (on PostgreSQL when a server answers), removed afterwards."""
    from callup.store.engine import connect, disconnect
    from callup_test_support import POSTGRES_URL

    site, drop = site_templates.copy("postgres" if POSTGRES_URL else "sqlite", tmp)
    try:
        yield site
    finally:
        disconnect(site.url)
        connect.cache_clear()
        drop()


def served_site(site_templates: SiteTemplates, tmp: pathlib.Path, *, workers: int = 1) -> Iterator[tuple[Site, str]]:
    """A copy of the built site, served: the body of a module's fixture."""
    with copied_site(site_templates, tmp) as site, serving(site, tmp, workers=workers) as base:
        yield site, base


def totp_now(offset_steps: int = 0) -> str:
    from callup.web.accounts import totp_at

    return totp_at(TOTP, int(NOW.timestamp()) // 30 + offset_steps)


def client(site: Site, **overrides):  # noqa: ANN003, ANN201
    from fastapi.testclient import TestClient

    return TestClient(make_app(site, **overrides), base_url="http://testserver", follow_redirects=False)


def make_app(site: Site, **overrides):  # noqa: ANN003, ANN201
    """The web app on `site`'s store (`overrides` as for `client`), closed with the site (`close_apps`)."""
    from callup.web.app import create_app

    app = create_app(site.settings(**overrides))
    APPS.append(app)
    return app


#: The apps `client` made: each listens for its store's notices on PostgreSQL until closed (`close_apps`).
APPS: list = []


def close_apps() -> None:
    """Stop the apps made so far from listening to a store about to be dropped."""
    while APPS:
        APPS.pop().state.web.close()


def signed_in(site: Site, *, citizen: Citizen | None = None, user: str | None = None, **overrides):  # noqa: ANN003, ANN201
    """A test client already signed in as `citizen` or the staff account `user`; `overrides` (a clock, say) as for `client`."""
    c = client(site, **{k: v for k, v in overrides.items() if v is not None})
    c.cookies.set("callup_session", session_cookie(site, citizen=citizen, user=user))
    return c


def session_cookie(site: Site, *, citizen: Citizen | None = None, user: str | None = None) -> str:
    """A sealed session as sign-in would make it (for tests that are not about signing in)."""
    from callup.context import Actor, Role
    from callup.web.sessions import Sealer, for_actor

    if citizen is not None:
        actor = Actor(name="citizen (portal)", role=Role.citizen, person_id=citizen.national_id)
        session = for_actor(actor, reference=citizen.reference, now=NOW.timestamp() * 0 + __import__("time").time())
    else:
        spec = site.users[user]
        actor = make_actor(user, spec["role"], regions=spec["regions"], office=f"Office of {spec['regions'] or 'the nation'}")
        session = for_actor(actor)
    from callup.web import session_records

    with UnitOfWork(site.admin) as uow:  # recorded, as signing in records it
        session_records.start(uow, session)
    return Sealer(site.keys).seal(session)


def csrf_of(html: str) -> str:
    import re

    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class Shots:
    """Full-page photographs of the browser tests' page states, taken only when `CALLUP_SCREENSHOTS` names a
    folder to look at them in (a photograph asserts nothing, and they cost a sixth of the browser tests' time)."""

    def __init__(self, folder: str | None) -> None:
        self.folder = pathlib.Path(folder) if folder else None
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)

    def __bool__(self) -> bool:
        return self.folder is not None

    def __call__(self, page, name: str) -> None:  # noqa: ANN001 - a Playwright page
        if self.folder is not None:
            page.screenshot(path=str(self.folder / f"{name}.png"), full_page=True)


#: axe-core, installed by `bin/setup --test` from the npm registry.
AXE = REPO / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
_VIOLATIONS = ("async () => (await axe.run(document, {resultTypes: ['violations']})).violations.map(v => "
               "({impact: v.impact, text: `${v.id} (${v.impact}): ${v.help}: ${v.nodes.map(n => n.target.join(' '))"
               ".slice(0, 3).join(', ')}`}))")


def checked_context(browser, **options):  # noqa: ANN001, ANN003, ANN201 - Playwright's browser and context
    """A browser context whose pages carry axe-core from their first line, for `violations` (added to each page
    state by hand, it cost as much again as the check itself); without axe-core the test is skipped (failed in CI)."""

    if not AXE.exists():
        missing(f"axe-core is not installed at {AXE} (bin/setup --test installs it from the npm registry)")
    context = browser.new_context(bypass_csp=True, **options)  # the site's policy would refuse a script it did not send
    context.add_init_script(path=str(AXE))
    return context


def violations(page, *, serious_only: bool = False) -> list[str]:  # noqa: ANN001 - a page of a `checked_context`
    """axe-core's violations on the page as it stands: "rule (impact): help: its first elements"."""
    found = page.evaluate(_VIOLATIONS)
    return [v["text"] for v in found if not serious_only or v["impact"] in ("serious", "critical")]
