"""The web application: citizens' portal, officers' console, JSON API and the public check pages.

`create_app()` reads its settings from the environment (see `callup.web.settings`), refuses to
start on a store whose schema is behind (migrations are a deploy step: `callup db upgrade`), and
holds nothing that the store does not also hold: its settings, keys and connection pools, and two
kinds of copies it may drop at any time, each citizen's status page as last built (page_cache.py)
and, on PostgreSQL, which sessions are live (session_marks.py), kept true by the store's own
notices of change. So any number of workers (`callup serve --workers N`) serve the same store
consistently, and a worker restarted loses nothing.

Each request builds its own `Context` from its signed-in session (actor name, role, regions,
office, a citizen's national id) -- never from the environment -- and services enforce the
role and region rules on it.
"""

from __future__ import annotations

import contextlib
import functools
import pathlib
from collections.abc import AsyncIterator
from typing import Any

from callup.context import Actor, Context
from callup.errors import CallupError
from callup.web.settings import WebSettings

HERE = pathlib.Path(__file__).resolve().parent
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")
#: Request bodies: the portal's upload forms take one document (and its form fields); all else is small.
UPLOAD_PATHS = ("/portal/rights/",)
UPLOAD_LIMIT = 6 * 1024 * 1024
FORM_LIMIT = 1024 * 1024


def check_schema(url: str) -> None:
    """Refuse a store whose schema is not at this callup's head (workers never migrate)."""
    from callup.store.migrate import SCHEMA_HEAD, revision_at

    revision = revision_at(url)
    if revision != SCHEMA_HEAD:
        raise CallupError(f"the store's schema is at revision {revision or '(empty)'}, this callup needs {SCHEMA_HEAD}: "
                          "run `callup db upgrade` (a deploy step) before starting the web app")


@functools.cache
def _templates() -> Any:
    """The page templates, one environment per process: a template is compiled once, however many apps are made."""
    import jinja2

    # The templates ship with the package: a worker does not look at each file's time again on every page.
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE / "templates")), autoescape=True, trim_blocks=True,
                              lstrip_blocks=True, auto_reload=False)


class Web:
    """What a worker keeps: settings, the session sealer, templates and the store's engine."""

    def __init__(self, settings: WebSettings) -> None:
        from callup.store.engine import connect
        from callup.web.page_cache import PageCache
        from callup.web.sessions import Sealer

        self.settings = settings
        self.sealer = Sealer(settings.keys)
        self.templates = _templates()
        self.engine = connect(settings.database_url)
        # Single-statement reads of the busiest pages (a person's status) need no transaction of their
        # own: on PostgreSQL they run on a pool of autocommit connections, without a ping before each
        # use, saving three of four round trips. A connection the server dropped (a restart) is
        # retried once on a fresh one by `read` (SQLAlchemy then renews the pool).
        self.read_engine = self.engine
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy import create_engine

            # Enough kept connections for the worker's concurrent requests: connections opened past
            # `pool_size` are closed when returned, and opening a PostgreSQL connection costs more than a request.
            self.read_engine = create_engine(self.engine.url, isolation_level="AUTOCOMMIT", pool_pre_ping=False,
                                             pool_recycle=1800, pool_size=16, max_overflow=16)

        self.pages = PageCache(ttl=settings.status_keep_seconds)  # the citizens' status page and answer (page_cache.py)
        self.marks = None  # live sessions and their citizens' marks, remembered while the store's notices say so
        if self.engine.dialect.name == "postgresql" and settings.status_keep_seconds > 0:
            from callup.store.engine import local_commits
            from callup.store.urls import libpq_url
            from callup.web.session_marks import SessionMarks

            conninfo = libpq_url(self.engine.url.render_as_string(hide_password=False)) or ""
            self.marks = SessionMarks(conninfo, self._notice, ttl=settings.status_keep_seconds, local_commits=local_commits)
        self.replica = None
        if settings.replica_url:
            from callup.web.replica import Replica

            self.replica = Replica(settings.replica_url, max_lag=settings.replica_max_lag)

    def close(self) -> None:
        """Stop listening for the store's notices (at the worker's shutdown)."""
        if self.marks is not None:
            self.marks.close()

    def context(self, actor: Actor) -> Context:
        s = self.settings
        return Context(actor=actor, database_url=s.database_url, clock=s.clock, keys=s.keys, policy_path=s.policy_path,
                       timezone=s.timezone)

    def session_live(self, session: Any, cookies: dict[str, str] | None = None) -> tuple[bool, int | None]:
        """Whether a signed-in session still counts (not signed out or ended), and for a citizen the newest
        audit entry about them (`audit.last_about`), which tells whether a kept status page still holds
        (page_cache.py); None for anyone else. Remembered by the worker while the store's notices say it
        holds (session_marks.py), else one indexed read. `cookies`: the request's, for read-your-writes."""
        from sqlalchemy.exc import DBAPIError

        from callup.web.session_marks import ASKED, person_key
        from callup.web.session_records import is_live, key, live_and_last_about

        marks = self.marks
        began = marks.begin() if marks is not None else -1  # before looking: a notice from now on voids what is read
        found = self.session_known(session, cookies or {}, catch_up=True)
        if found is not None:
            return True, found[0]
        ASKED.inc()
        for attempt in (1, 2):  # once more on a fresh connection if the server had dropped this one, as `read`
            try:
                with self.read_engine.connect() as conn:
                    if session.person_id:
                        live, mark = live_and_last_about(conn, session, session.person_id)
                    else:
                        live, mark = is_live(conn, session), None
                break
            except DBAPIError as exc:
                if attempt == 2 or not exc.connection_invalidated:
                    raise
        if live and marks is not None:
            marks.remember(key(session), person_key(session.person_id) if session.person_id else None, mark, began)
        return live, mark

    def session_known(self, session: Any, cookies: dict[str, str], *, catch_up: bool = False) -> tuple[int | None] | None:
        """`(mark,)` as `session_live` would answer for a live session, if this worker knows it without the
        store; None otherwise (then ask `session_live`). Without `catch_up`, never blocks (for the event loop);
        with it, after this process's own commit it first waits for the store's notices up to it."""
        import time

        from callup.web.replica import wrote_recently
        from callup.web.session_marks import WROTE_WINDOW
        from callup.web.session_records import key

        if self.marks is None or wrote_recently(cookies, time.time(), window=WROTE_WINDOW):
            return None  # a browser that has just changed something reads the store
        return self.marks.get(key(session), catch_up=catch_up)

    def _notice(self, payload: str) -> None:
        """Send a notice on the store's change channel (session_marks.py asks for its own to come back)."""
        from callup.store.engine import send_change_notice

        with self.read_engine.connect() as conn:
            send_change_notice(conn, payload)

    def read(self, ctx: Context, work: Any, *, request: Any = None) -> Any:
        """`work(uow)` in a read-only unit of work on `read_engine`; once more if the connection had been dropped.

        With a `request` (a read that tolerates lag), on the replica when one is configured, caught up,
        and the request's browser changed nothing in the last moments (`callup.web.replica`)."""
        from sqlalchemy.exc import DBAPIError

        from callup.uow import UnitOfWork

        if request is not None and self.replica is not None:
            import time

            from callup.web.replica import wrote_recently

            if not wrote_recently(request.cookies, time.time()) and self.replica.usable():
                try:
                    with UnitOfWork(ctx, engine=self.replica.engine, write=False) as uow:
                        return work(uow)
                except DBAPIError:
                    self.replica.down()  # served by the primary below
        for attempt in (1, 2):
            try:
                with UnitOfWork(ctx, engine=self.read_engine, write=False) as uow:
                    return work(uow)
            except DBAPIError as exc:
                if attempt == 2 or not exc.connection_invalidated:
                    raise
        raise AssertionError("unreachable")


class SecurityHeaders:
    """Pure ASGI middleware adding the security headers (HSTS when served over TLS) to every response."""

    def __init__(self, app: Any, *, tls: bool) -> None:
        self.app, self.tls = app, tls

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = self.tls or scope.get("scheme") == "https"
        static = scope.get("path", "").startswith("/static/")

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(HEADERS)
                if https:
                    headers.append(HSTS)
                if not static and not any(name.lower() == b"cache-control" for name, _ in headers):
                    headers.append((b"cache-control", b"no-store"))  # public documents set their own
                renewed = scope.get("state", {}).get("renewed_cookie")
                if renewed and not any(name.lower() == b"set-cookie" and value.startswith(b"callup_session=")
                                       for name, value in headers):
                    # the sliding session's new end (see pages.session): a cookie like the one sign-in sets
                    cookie = f"callup_session={renewed}; HttpOnly; Path=/; SameSite=lax" + ("; Secure" if https else "")
                    headers.append((b"set-cookie", cookie.encode("ascii")))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Pure ASGI middleware refusing a request body over its path's limit (413) before it is read.

    A declared Content-Length over the limit is refused at once; a chunked body is cut off as soon
    as it passes the limit. Only the portal's upload forms take a document; every other form and
    API call is small. The proxy in front must allow at least `UPLOAD_LIMIT` (docs/operations.md)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = UPLOAD_LIMIT if scope.get("path", "").startswith(UPLOAD_PATHS) else FORM_LIMIT
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(send, limit)
            return
        state = {"received": 0, "over": False, "started": False}

        async def limited_receive() -> dict:
            if state["over"]:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit:
                    state["over"] = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: dict) -> None:
            if state["over"] and not state["started"]:
                return  # the app's own answer to the cut-off body is replaced by the 413 below
            state["started"] = state["started"] or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not state["over"]:
                raise
        if state["over"] and not state["started"]:
            await _too_large(send, limit)


async def _too_large(send: Any, limit: int) -> None:
    body = f"The request is larger than {limit // (1024 * 1024) or 1} MB.\n".encode()
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()), (b"connection", b"close"),
        *HEADERS, (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": body})


def feature_routers() -> tuple[Any, ...]:
    """Each feature's router, in the order FastAPI tries their routes: the two a whole country reloads at the
    announcement come first."""
    from callup.web import (
        api,
        console,
        console_audit,
        console_cases,
        console_day,
        console_medical,
        console_questionnaire,
        health,
        portal,
        portal_cases,
        portal_questionnaire,
        portal_rights,
        public,
    )

    return (portal.first, api.first, health.router, public.router, portal.router, console.router, api.router,
            portal_cases.router, portal_rights.router, portal_questionnaire.router, console_cases.router,
            console_day.router, console_audit.router, console_medical.router, console_questionnaire.router)


def create_app(settings: WebSettings | None = None) -> Any:
    """The ASGI application (uvicorn's factory)."""
    from fastapi import FastAPI
    from fastapi.staticfiles import StaticFiles

    from callup.web import api, console_audit, errors

    settings = settings or WebSettings.from_environ()
    check_schema(settings.database_url)
    web = Web(settings)

    @contextlib.asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[None]:
        import anyio.to_thread

        # The threads sync routes run on (anyio's default is 40): few, so the event loop gets its turn (settings.py).
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        yield
        web.close()

    app = FastAPI(title="callup", version="1", description=api.DESCRIPTION, openapi_url="/api/openapi.json",
                  docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.web = web
    app.state.web.templates.globals["auditor_pages"] = console_audit.shown  # which auditor pages the nav offers
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    for router in feature_routers():
        # The feature's routes as they are, complete with its prefix and dependencies: each was built once, when
        # its module was imported. `include_router` builds every route again for each app on its first requests
        # (each endpoint's parameters analysed anew: 0.1-0.2 s a worker, and for every app a test makes). So
        # `app.dependency_overrides` does not reach them; tests/web/test_web_routes.py checks they are what
        # include_router gives.
        app.router.routes.extend(router.routes)
    errors.install(app)
    api.install_schema(app)
    if settings.replica_url or app.state.web.marks is not None:  # a browser's reads see its own changes at once
        from callup.web.replica import MarkWrites

        app.add_middleware(MarkWrites, secure=settings.tls)
    app.add_middleware(SecurityHeaders, tls=settings.tls)
    app.add_middleware(BodyLimit)
    from callup.web.admission import Admission
    from callup.web.logs import Observe

    # Before anything reads the request: a request turned away costs the worker almost nothing.
    app.add_middleware(Admission, limit=settings.max_in_flight, reserve=settings.sign_in_reserve, headers=HEADERS)

    app.add_middleware(Observe)  # outermost: times, counts and logs every answer, the 413s included
    return app


@functools.lru_cache(maxsize=1)
def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("callup")
    except PackageNotFoundError:
        return "0"
