"""Reads that tolerate a little lag, served by a PostgreSQL streaming replica when one is named.

`CALLUP_DATABASE_REPLICA_URL` names a read-only standby of the primary. The pages that read much
and change nothing (the citizen's status page and status API) read from it, so the primary keeps
its capacity for the writes; everything else, and every check that must be current (is this
session still signed in?), reads the primary. Three things keep the replica's answers honest:

- **lag**: each worker asks the replica at most once a second how far behind it is; past
  `CALLUP_REPLICA_MAX_LAG` seconds (default 5), or when it is not streaming from the primary,
  reads go to the primary until it catches up;
- **read your writes**: a request that changed something (a successful POST) sets a short cookie,
  and for `WINDOW` seconds that browser's reads go to the primary, so a citizen sees their own
  action at once, whatever the lag;
- **down**: a replica that refuses a connection is left alone for a few seconds and the read is
  served by the primary; nobody sees an error.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

#: Seconds after a change during which that browser reads the primary (longer than any lag allowed).
WINDOW = 30
COOKIE = "callup_wrote"
RETRY_DOWN_SECONDS = 5.0
LAG = text("SELECT coalesce((SELECT status = 'streaming' FROM pg_stat_wal_receiver LIMIT 1), false), "
           "CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
           "ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 1e9) END")


class Replica:
    """A worker's view of the replica: its engine, and whether it may be read now."""

    def __init__(self, url: str, *, max_lag: float, clock: Any = time.monotonic) -> None:
        if max_lag >= WINDOW:
            raise ValueError(f"the replica's maximum lag must be under {WINDOW} s (the read-your-writes window)")
        self.engine = create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=False, pool_recycle=1800,
                                    pool_size=16, max_overflow=16, connect_args={"connect_timeout": 2})
        self.max_lag, self.clock = max_lag, clock
        self._checked_at, self._usable = -1e9, False
        self._down_until = -1e9

    def usable(self) -> bool:
        """Whether reads may go to the replica now (checked at most once a second)."""
        now = self.clock()
        if now < self._down_until:
            return False
        if now - self._checked_at >= 1.0:
            self._checked_at = now
            try:
                with self.engine.connect() as conn:
                    streaming, lag = conn.execute(LAG).one()
                self._usable = bool(streaming) and float(lag) <= self.max_lag
            except DBAPIError:
                self.down()
                return False
        return self._usable

    def down(self) -> None:
        """The replica failed a read: leave it alone for a few seconds."""
        self._usable, self._down_until = False, self.clock() + RETRY_DOWN_SECONDS

    def status(self) -> str:
        """In a few words, for the readiness check: ok, lagging or unreachable."""
        if self.usable():
            return "ok"
        return "unreachable" if self.clock() < self._down_until else "lagging (reads go to the primary)"


def wrote_recently(cookies: dict[str, str], now: float, *, window: float = WINDOW) -> bool:
    """Whether this browser changed something within `window` seconds (its reads must see it)."""
    value = cookies.get(COOKIE, "")
    return value.isdigit() and now - int(value) < window


class MarkWrites:
    """Pure ASGI middleware: a successful change (POST, PUT, PATCH, DELETE answered below 400) sets the
    read-your-writes cookie for `WINDOW` seconds. Installed with a replica, and on PostgreSQL where workers remember
    sessions (session_marks.py)."""

    def __init__(self, app: Any, *, secure: bool) -> None:
        self.app, self.secure = app, secure

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return

        async def send_marked(message: dict) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                cookie = f"{COOKIE}={int(time.time())}; Max-Age={WINDOW}; Path=/; HttpOnly; SameSite=Lax"
                if self.secure or scope.get("scheme") == "https":
                    cookie += "; Secure"
                message["headers"] = [*message.get("headers", ()), (b"set-cookie", cookie.encode())]
            await send(message)

        await self.app(scope, receive, send_marked)
