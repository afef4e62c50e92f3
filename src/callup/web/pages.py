"""Request helpers shared by the portal, the console and the API: the session, the request's
Context, CSRF on forms, rendering a page in the request's language."""

from __future__ import annotations

import functools
import urllib.parse
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from callup.context import Context, Role
from callup.errors import CallupError, Forbidden
from callup.web import i18n
from callup.web.sessions import CITIZEN, LIFETIME, OFFICER, Session, new_session, renewed

COOKIE = "callup_session"
LANG_COOKIE = "callup_lang"
STAFF_ROLES = (Role.administrator, Role.officer, Role.medical, Role.auditor)


class SignInNeeded(CallupError):
    """The page needs a signed-in citizen (`kind` citizen) or user of the administration (`kind` officer)."""

    http_status = 401

    def __init__(self, message: str = "sign in first", *, kind: str = CITIZEN) -> None:
        super().__init__(message)
        self.kind = kind


class CsrfRefused(CallupError):
    """A form arrived without the token of its session: refused (the page is reloaded for a new one)."""

    http_status = 403


class FormKept(CallupError):
    """A form arrived after its session had ended: it was kept, and the browser goes to sign in, then back to it
    (the error handler answers with that redirect; the status says what it is: sign-in needed)."""

    http_status = 401

    def __init__(self, token: str, *, kind: str) -> None:
        super().__init__("your session had ended: sign in again and your form is shown again")
        self.token, self.kind = token, kind


def web(request: Request) -> Any:
    return request.app.state.web


def session(request: Request) -> Session | None:
    """The request's session from its cookie (or, for the API, its bearer token), if valid."""
    if "session" not in request.state._state:
        token = _token(request)
        opened = web(request).sealer.open(token)
        if opened is not None and opened.signed_in:
            live, request.state.about_mark = web(request).session_live(opened, request.cookies)
            if not live:
                opened = None  # signed out, or ended by an administrator: no longer counts
        _keep_session(request, opened, token)
    return request.state.session


def known_session(request: Request) -> Session | None:
    """The request's signed-in session if this worker knows it is live without asking the store
    (session_marks.py); None when only `session` can tell. Never blocks: for the event loop."""
    if "session" in request.state._state:
        return request.state.session
    token = _token(request)
    opened = web(request).sealer.open(token)
    found = web(request).session_known(opened, request.cookies) if opened is not None and opened.signed_in else None
    if found is None:
        return None
    request.state.about_mark = found[0]
    _keep_session(request, opened, token)
    return request.state.session


def _token(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    return auth[7:].strip() if auth[:7].lower() == "bearer " else request.cookies.get(COOKIE)


def _keep_session(request: Request, opened: Session | None, token: str | None) -> None:
    if opened is not None and token == request.cookies.get(COOKIE):  # a browser's session slides while it is used
        later = renewed(opened)
        if later is not None:
            opened = later
            request.state.renewed_cookie = web(request).sealer.seal(later)
    request.state.session = opened


def ended_session(request: Request) -> Session | None:
    """The browser's signed-in session that has ended by time (not signed out or revoked), if its cookie is authentic."""
    opened = web(request).sealer.open(request.cookies.get(COOKIE), expired=True)
    if opened is None or not opened.signed_in or not web(request).session_live(opened)[0]:
        return None
    return opened


def secure(request: Request) -> bool:
    return web(request).settings.tls or request.url.scheme == "https"


def set_session(response: Any, request: Request, value: Session) -> None:
    sealed = begin_session(request, value) if value.signed_in else web(request).sealer.seal(value)
    response.set_cookie(COOKIE, sealed, max_age=None, path="/", secure=secure(request),
                        httponly=True, samesite="lax")


def begin_session(request: Request, value: Session) -> str:
    """Record the signed-in session `value` (so it can be ended) and seal it: the cookie's or token's text."""
    from callup.context import Actor, Role
    from callup.uow import UnitOfWork
    from callup.web import session_records

    w = web(request)
    with UnitOfWork(w.context(Actor(name="web", role=Role.system))) as uow:
        session_records.start(uow, value)
    return w.sealer.seal(value)


def clear_session(response: Any, request: Request) -> None:
    response.delete_cookie(COOKIE, path="/", secure=secure(request), httponly=True, samesite="lax")


def language(request: Request) -> str:
    """The page's language: the language switch's choice, else a signed-in citizen's language from the
    register, else the browser's (Accept-Language), else English."""
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen not in i18n.LANGUAGES:
        current = session(request)
        registered = (current.language or "").split("-")[0] if current is not None and current.kind == CITIZEN else ""
        if registered in i18n.LANGUAGES:
            chosen = registered
    return i18n.negotiate(chosen, request.headers.get("accept-language"))


def gettext(request: Request) -> Any:
    return i18n.translations(language(request)).gettext


def signed_in(request: Request, *, kind: str) -> Session:
    """The request's signed-in session; `SignInNeeded` (to `kind`'s sign-in) otherwise."""
    s = session(request)
    if s is None or not s.signed_in:
        raise SignInNeeded(kind=kind)
    return s


def citizen(request: Request) -> Context:
    """The Context of the signed-in citizen; `SignInNeeded` otherwise (`Forbidden` for a signed-in officer)."""
    s = signed_in(request, kind=CITIZEN)
    if s.kind != CITIZEN:
        raise Forbidden("this page is the citizens' portal: sign in with your summons")
    return web(request).context(s.actor())


def staff(request: Request, *roles: Role) -> Context:
    """The Context of the signed-in user of the administration (any role of `roles`, default every staff role)."""
    s = signed_in(request, kind=OFFICER)
    actor = s.actor()
    if s.kind != OFFICER or actor is None or actor.role not in (roles or STAFF_ROLES + (Role.system,)):
        raise Forbidden("this page is for the administration's users with another role")
    return web(request).context(actor)


def anyone(request: Request) -> Context:
    """The Context of any signed-in user (citizen or administration)."""
    s = signed_in(request, kind=OFFICER if request.url.path.startswith("/api") else CITIZEN)
    return web(request).context(s.actor())


async def csrf_guard(request: Request) -> None:
    """Router dependency: every POST form carries the CSRF token of its session (hidden field `csrf`)."""
    if request.method != "POST":
        return
    if session(request) is None:
        ended = ended_session(request)
        if ended is not None:  # signed in when the page was made: keep what was typed, sign in again, then resume
            form = await request.form()
            token = form.get("csrf")
            if web(request).sealer.csrf_ok(ended, token if isinstance(token, str) else None):
                from starlette.concurrency import run_in_threadpool

                fields = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
                raise FormKept(await run_in_threadpool(_keep, request, ended, fields), kind=ended.kind)
        raise CsrfRefused("This page had expired, so what it sent was not used. Open the page again and send it again.")
    form = await request.form()
    token = form.get("csrf")
    if not web(request).sealer.csrf_ok(session(request), token if isinstance(token, str) else None):
        raise CsrfRefused("This page had expired, so what it sent was not used. Open the page again and send it again.")


def _keep(request: Request, ended: Session, fields: list[tuple[str, str]]) -> str:
    from callup.context import Actor
    from callup.uow import UnitOfWork
    from callup.web import drafts

    with UnitOfWork(web(request).context(Actor(name="web", role=Role.system))) as uow:
        return drafts.keep(uow, ended, request.url.path, fields)


def safe_next(target: str | None, default: str) -> str:
    """A local path to go to after signing in (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def render(request: Request, template: str, *, status: int = 200, new: Session | None = None, here: str | None = None,
           **values: Any) -> HTMLResponse:
    """The page `template` in the request's language, with the CSRF token of the session (made when missing)."""
    w = web(request)
    current = new or session(request)
    fresh = new is not None
    if current is None:
        current, fresh = new_session(), True
    lang = language(request)
    tr = i18n.translations(lang)
    from callup.context import Actor
    from callup.web.words import Words

    # Read at most once a page, and only by a page that names a ground or a region (a list asks once per row).
    @functools.cache
    def policy() -> Any:
        ctx = w.context(Actor(name="web", role=Role.system))
        return ctx.policy().in_force(ctx.today())

    @functools.cache
    def regions() -> dict[str, str]:
        return {r.code: r.name for r in w.context(Actor(name="web", role=Role.system)).policy().regions}

    html = w.templates.get_template(template).render(
        _=tr.gettext, words=Words(tr.gettext, policy, regions), ngettext=tr.ngettext,
        fmt=i18n.formats(lang, w.settings.timezone), lang=lang, languages=i18n.LANGUAGES,
        csrf=w.sealer.csrf_token(current), me=current, path=request.url.path, session_minutes=LIFETIME[current.kind] // 60,
        here=here or urllib.parse.quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""), safe="/?=&"),
        **values)
    response = HTMLResponse(html, status_code=status)
    if fresh:
        set_session(response, request, current)
    return response
