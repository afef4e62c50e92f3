"""Structured logs: one JSON object per line, each stamped with its request's id; never personal data.

`Observe` (the outermost middleware) takes the request id from a well-formed `X-Request-ID`
(what the proxy in front set), else makes one, returns it in the response's `X-Request-ID`,
and writes one `callup.access` line per request: method, route template, status, duration. It
never logs the raw path or the query string (they carry references, codes and national ids);
the route template (`/status/{reference}`) says which page without saying whose. Exceptions
are logged as their type and stack (file, line, function), without their message, which may
quote stored values (a driver's error lists the statement's parameters).

`callup serve` configures these loggers (`LOG_CONFIG`); another ASGI server can pass the same
dictionary to `logging.config.dictConfig`.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import time
import traceback
from collections.abc import MutableMapping
from typing import Any

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("callup_request_id", default=None)
WELL_FORMED = re.compile(rb"[A-Za-z0-9._:-]{8,64}")
#: Probes answered 200 are not logged: an orchestrator asks every few seconds (they are still counted in the metrics).
QUIET_ROUTES = frozenset({"/healthz", "/readyz"})
access = logging.getLogger("callup.access")
_encode = json.JSONEncoder(ensure_ascii=False, default=str).encode  # made once: json.dumps with options makes one per call


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}+00:00",
            "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        request_id = REQUEST_ID.get()
        if request_id is not None:
            line["request_id"] = request_id
        fields = getattr(record, "fields", None)
        if fields:
            line.update(fields)
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            line["error"] = type(exc).__qualname__
            line["stack"] = [f"{frame.filename.rsplit('/site-packages/', 1)[-1]}:{frame.lineno} {frame.name}"
                             for frame in traceback.extract_tb(exc.__traceback__)]
        return _encode(line)


LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": JsonFormatter}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    "loggers": {
        "callup": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},  # `callup.access` replaces it
    },
    "root": {"handlers": ["stderr"], "level": "WARNING"},
}


def route_of(scope: MutableMapping[str, Any]) -> str:
    """The matched route's template (a mount's prefix), never the path as requested."""
    route = scope.get("route")
    if route is None:
        return "unmatched"
    return getattr(route, "path", None) or "unmatched"


class Observe:
    """Pure ASGI middleware: request id, one access line and the request metrics per request."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from callup.web import metrics

        given = next((value for name, value in scope["headers"] if name == b"x-request-id"), None)
        request_id = given.decode() if given is not None and WELL_FORMED.fullmatch(given) else os.urandom(8).hex()
        # Not reset afterwards: each request runs in its own task, and an unhandled error is logged
        # by the outer error handler after this middleware returns, still with the request's id.
        REQUEST_ID.set(request_id)
        header = (b"x-request-id", request_id.encode())
        status = 500  # what the client gets when the app raises before answering
        started = time.perf_counter()

        async def send_with_id(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = route_of(scope)
            metrics.observe(scope["method"], route, status, seconds)
            if access.isEnabledFor(logging.INFO) and not (status == 200 and route in QUIET_ROUTES):
                # made directly: `access.info` would walk the stack for a caller no one reads
                record = access.makeRecord(access.name, logging.INFO, __file__, 0, "request", (), None, extra={"fields": {
                    "method": scope["method"], "route": route, "status": status, "duration_ms": round(seconds * 1000, 2)}})
                access.handle(record)
