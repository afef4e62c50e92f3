"""How errors answer: problem+json (RFC 9457) on the API, naming the field at fault; an error page elsewhere.

Every `CallupError` carries its HTTP status; its message names no personal data, so it is shown
as is. Anything else is a bug: a generic 500 without details (the traceback goes to the log).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from callup.errors import CallupError

log = logging.getLogger("callup.web")
TITLES = {400: "Bad request", 401: "Sign-in needed", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
          409: "Conflict", 413: "Too large", 422: "Invalid input", 429: "Too many attempts", 500: "Server error"}


#: What an error page says for the framework's own errors (catalogue text, translated on the page).
_PAGE_DETAILS = {404: "There is no page at this address. Check the address, or start again from the start page.",
                 405: "This page cannot be used that way. Start again from the start page."}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def problem(status: int, detail: str, *, field: str | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status, "detail": detail}
    if field:
        body["field"] = field
    return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=headers)


#: What a refusal page says when the service's own reason has no words in the page's language yet.
_FORBIDDEN = "You may not do this with the role you signed in with. If you think you should, ask your administrator."


def _page(request: Request, status: int, detail: str, field: str | None = None, *, title: str | None = None) -> Any:
    from callup.web.pages import gettext, language, render

    if status == 403 and gettext(request)(detail) == detail and language(request) != "en":
        detail = _FORBIDDEN  # the reason names the role and the step in English: say it in the page's words
    return render(request, "error.html", status=status, here="/", status_code=status, title=title or TITLES.get(status, "Error"),
                  detail=detail, field=field)


def install(app: Any) -> None:
    from callup.web.pages import CsrfRefused, FormKept, SignInNeeded, redirect

    @app.exception_handler(CallupError)
    async def callup_error(request: Request, exc: CallupError) -> Any:
        status = getattr(exc, "http_status", 400)
        if isinstance(exc, FormKept):
            target = "/signin" if exc.kind == "citizen" else "/officer/signin"
            return redirect(f"{target}?next=/resume/{exc.token}&ended=1")
        if isinstance(exc, SignInNeeded):
            if _is_api(request):
                return problem(401, "sign in first: send a bearer token (POST /api/v1/token)",
                               headers={"www-authenticate": "Bearer"})
            target = "/signin" if exc.kind == "citizen" else "/officer/signin"
            import urllib.parse

            nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return redirect(f"{target}?next={urllib.parse.quote(nxt, safe='')}")
        if _is_api(request):
            return problem(status, exc.message, field=exc.field)
        if isinstance(exc, CsrfRefused):
            return _page(request, status, exc.message, title="This page has expired")
        return _page(request, status, exc.message, exc.field)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Any:
        errors = exc.errors()
        first = errors[0] if errors else {}
        loc = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path", "header", "cookie")]
        field = ".".join(loc) or None
        detail = f"{field}: {first.get('msg', 'invalid')}" if field else str(first.get("msg", "invalid input"))
        if _is_api(request):
            return problem(422, detail, field=field)
        return _page(request, 422, detail, field)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Any:
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "Error")
        if not _is_api(request) and detail.casefold() == TITLES.get(exc.status_code, "").casefold():
            detail = _PAGE_DETAILS.get(exc.status_code, TITLES[exc.status_code])  # the framework's "Not Found": in words
        if _is_api(request):
            return problem(exc.status_code, detail, headers=getattr(exc, "headers", None))
        return _page(request, exc.status_code, detail)

    from sqlalchemy.exc import DataError

    @app.exception_handler(DataError)
    async def unstorable(request: Request, exc: DataError) -> Any:
        """Text the store cannot hold (a NUL character: PostgreSQL refuses it) is bad input, not a bug."""
        if "NUL" not in str(getattr(exc, "orig", exc)):
            return await bug(request, exc)
        detail = "the input contains a NUL character, which no field accepts"
        if _is_api(request):
            return problem(422, detail)
        return _page(request, 422, detail)

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> Any:
        from callup.web.logs import route_of

        log.exception("unhandled error on %s %s", request.method, route_of(request.scope))  # the template: no references
        if _is_api(request):
            return problem(500, "internal error")
        return _page(request, 500, "Something went wrong on our side.")
