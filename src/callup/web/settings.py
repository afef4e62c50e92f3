"""The web app's settings, read once from the environment when the app is made (its edge).

The same variables as the command line (`callup.environment`): `CALLUP_DATABASE_URL`,
`CALLUP_KEY_FILE` / `CALLUP_KEYS`, `CALLUP_POLICY`, `CALLUP_TIMEZONE`, `CALLUP_NOW` (a fixed
instant, for rehearsals and tests); and for the web:

- `CALLUP_WEB_TLS=1`: the site is served over TLS (directly or behind a proxy that terminates
  it): cookies are marked Secure and HSTS is sent. Requests that arrive as https (uvicorn's
  `--proxy-headers` from a trusted proxy) get the same.
- `CALLUP_PUBLIC_URL`: the site's address as citizens see it (for links in documents).
- `CALLUP_WEB_MAX_IN_FLIGHT` (default 64): requests one worker admits at once; past it, a request
  is answered 503 with `Retry-After` at once (`callup.web.admission`), sign-in keeping 16 more.
- `CALLUP_WEB_THREADS` (default 4): threads one worker runs blocking work on (building a page, asking
  the store). Few on purpose: Python runs one thread at a time, and with many busy threads the
  worker's event loop, which admits requests and turns the excess away, waits its turn behind all of
  them (at ten times the sustainable rate, 40 threads made a 503 take seconds; 4 kept it under one).
- `CALLUP_DATABASE_REPLICA_URL`: a PostgreSQL streaming replica for the reads that tolerate lag
  (the citizen's status page and API), with `CALLUP_REPLICA_MAX_LAG` (seconds, default 5, under
  30): see `callup.web.replica`.
- `CALLUP_STATUS_KEEP_SECONDS` (default 15, 0 to 60): how long a worker may serve a citizen's status
  page and answer again without building it, unless something about the person changed; also how
  late a change made for many people at once may show there: see `callup.web.page_cache`. On
  PostgreSQL, also how long a worker remembers a live session between the store's notices
  (`callup.web.session_marks`); 0 turns both off.

Who acts is never read from the environment: each request's actor comes from its signed-in session.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

from callup.context import Clock
from callup.crypto.keys import KeyRing


@dataclasses.dataclass(frozen=True)
class WebSettings:
    database_url: str
    keys: KeyRing
    clock: Clock
    policy_path: str | None = None
    timezone: str = "UTC"
    tls: bool = False
    public_url: str = "http://localhost:8000"
    max_in_flight: int = 64  # requests a worker admits at once; past it, 503 with Retry-After (admission.py)
    threads: int = 4  # threads a worker runs blocking work on (pages built, the store asked); the rest of its admitted wait
    sign_in_reserve: int = 16  # further places for signing in and out only
    replica_url: str | None = None  # a PostgreSQL streaming replica for reads that tolerate lag (replica.py)
    replica_max_lag: float = 5.0  # seconds; a replica further behind is not read
    status_keep_seconds: float = 15.0  # a citizen's status kept at most this long (page_cache.py); 0: never kept

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> WebSettings:
        from callup.crypto.keys import CryptoError, load_keyring
        from callup.environment import DEFAULT_URL, clock_from, database_url, timezone_from
        from callup.store.urls import sqlite_file as store_file

        environ = os.environ if environ is None else environ
        url = database_url(environ)
        sqlite_file = store_file(url)
        default_file = sqlite_file.with_name("callup-keys.json") if url == DEFAULT_URL and sqlite_file else None
        ring = load_keyring(environ, default_file=default_file, create_default=False)
        if ring is None:
            raise CryptoError("the web app needs the encryption keys: set CALLUP_KEY_FILE or CALLUP_KEYS")
        return cls(database_url=url, keys=ring, clock=clock_from(environ), policy_path=environ.get("CALLUP_POLICY") or None,
                   timezone=timezone_from(environ), tls=environ.get("CALLUP_WEB_TLS", "").strip().lower() in ("1", "true", "yes"),
                   public_url=(environ.get("CALLUP_PUBLIC_URL") or "http://localhost:8000").rstrip("/"),
                   max_in_flight=_count(environ, "CALLUP_WEB_MAX_IN_FLIGHT", 64),
                   threads=_count(environ, "CALLUP_WEB_THREADS", 4, most=256),
                   replica_url=environ.get("CALLUP_DATABASE_REPLICA_URL", "").strip() or None,
                   replica_max_lag=_count(environ, "CALLUP_REPLICA_MAX_LAG", 5, most=29),
                   status_keep_seconds=_count(environ, "CALLUP_STATUS_KEEP_SECONDS", 15, least=0, most=60))


def _count(environ: Mapping[str, str], name: str, default: int, *, least: int = 1, most: int = 100_000) -> int:
    from callup.errors import InputError

    text = environ.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or not least <= int(text) <= most:
        raise InputError(f"{name}: {text!r} is not a whole number from {least} to {most}")
    return int(text)
