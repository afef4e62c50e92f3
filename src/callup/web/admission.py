"""Admission control: a worker answers what it can serve in time and turns the rest away at once.

The spike comes at the announcement (everyone checks the portal the day the decree is published),
and a server that queues every request without bound answers all of them late, then times out. So
each worker admits at most `limit` requests at a time (those being served and those waiting for
one of its threads); past that, a request gets 503 with `Retry-After` at once, costing the worker
almost nothing, and the admitted ones keep their usual latency. Sign-in and sign-out have a
`reserve` of places of their own, so a citizen can still get in when the status pages are full
(they degrade last), and health checks are never refused (a load balancer must not take a busy
worker for a dead one). The count is per worker process: ASGI calls run on one event loop, so no
lock is needed.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter

#: Paths never refused: health checks and static files (cheap, and needed to show any page).
EXEMPT = ("/healthz", "/readyz", "/static/")
#: Paths that may use the reserve: signing in and out (a citizen who cannot sign in cannot do anything).
PRIORITY = ("/signin", "/officer/signin", "/signout", "/api/v1/token")
RETRY_AFTER_SECONDS = 2

REJECTED = Counter("callup_http_admission_rejected", "Requests turned away with 503 because the worker was full",
                   ["kind"])


class Admission:
    """Pure ASGI middleware admitting at most `limit` requests at once (`limit + reserve` for sign-in)."""

    def __init__(self, app: Any, *, limit: int, reserve: int, headers: list[tuple[bytes, bytes]]) -> None:
        self.app, self.limit, self.reserve, self.headers = app, limit, reserve, headers
        self.in_flight = 0

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(EXEMPT):
            await self.app(scope, receive, send)
            return
        priority = path in PRIORITY
        if self.in_flight >= self.limit + (self.reserve if priority else 0):
            REJECTED.labels("sign-in" if priority else "other").inc()
            await _busy(send, api=path.startswith("/api/"), headers=self.headers)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


async def _busy(send: Any, *, api: bool, headers: list[tuple[bytes, bytes]]) -> None:
    if api:  # the API's errors are problem documents (RFC 9457)
        body = (b'{"type":"about:blank","title":"Service busy","status":503,'
                b'"detail":"Too many requests at once: try again in a few seconds."}')
        kind = b"application/problem+json"
    else:
        body = ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Busy - callup</title>"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head><body>"
                "<h1>The service is busy</h1><p>Many people are using it right now. Nothing you sent was lost or "
                "changed: please try again in a few seconds.</p>"
                "<p lang=\"ru\">Сервис перегружен: ничего из отправленного не потеряно и не изменено. "
                "Повторите попытку через несколько секунд.</p></body></html>").encode()
        kind = b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": 503, "headers": [
        (b"content-type", kind), (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(RETRY_AFTER_SECONDS).encode()), (b"cache-control", b"no-store"), *headers]})
    await send({"type": "http.response.body", "body": body})
