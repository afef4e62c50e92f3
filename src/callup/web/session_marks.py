"""What a web worker knows about signed-in sessions without asking the store, kept true by the store's notices.

Every request of a signed-in session asks the store whether the session still counts (not signed out or
ended), and a citizen's also asks for the newest audit entry about them, which says whether a kept status
page still holds (page_cache.py). At the announcement spike that one round trip is most of what a reload
costs. So on PostgreSQL each worker remembers both answers for the sessions it has seen, and forgets an
answer when the store says it changed: after every statement that adds audit entries about people or ends
sessions, the store sends a notice on the channel `callup_changes` (migration 0033), and a thread of each
worker listens. What keeps a remembered answer true:

- the notice of a change reaches every worker when the change commits (a few milliseconds), and drops
  what it changes;
- an answer read from the store is remembered only if no notice arrived while it was being read, so an
  answer never outlives the notice that made it stale;
- after this process commits something itself (a request's change, a sign-in, or a test's), the next
  lookup first sends a notice of its own and waits for the listener to hear it, so every notice up to
  that commit has been handled (a statement and the notice's delivery, only after a local commit; one
  notice covers every lookup waiting behind it); a notice of our own that is not heard within a
  second means the listener hears nothing any more, and the worker stops trusting it;
- the listener also sends itself a notice every few seconds, and connects again when one does not
  come back (a connection dropped silently, or a pooler in transaction mode, which cannot carry
  LISTEN: the listener needs a direct or session-pooled connection);
- a browser that changed something in the last few seconds asks the store, whichever worker serves it
  (the read-your-writes cookie of `callup.web.replica`);
- while the listener is not connected (starting, or the store restarting) nothing is remembered and
  every request asks the store; on connecting again everything is forgotten, as notices were missed;
- a remembered answer also lapses after `ttl` seconds.

Notices are per database, so workers of another callup schema in the same database hear them too:
that only makes them forget more than they must. SQLite sends no notices: there every request asks
the store.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import secrets
import threading
import time
import weakref
from collections.abc import Callable

from prometheus_client import Counter

from callup.store.engine import CHANGES_CHANNEL as CHANNEL

#: How long a lookup waits for its own notice to come back before asking the store (and listening again).
SYNC_TIMEOUT = 1.0
#: Seconds between the listener's notices to itself: one that does not come back by the next means the
#: connection hears nothing any more (a pooler, a dropped connection), and the worker listens again.
HEARTBEAT = 5.0
#: TCP keepalives and time-out of the listening connection, so a silently dropped one is noticed in seconds.
KEEPALIVE = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 3, "tcp_user_timeout": 10_000}
#: Seconds a browser asks the store after changing something (longer than a notice takes to arrive).
WROTE_WINDOW = 3
#: Sessions a worker remembers at most; past it, it starts again from nothing.
SIZE = 200_000
log = logging.getLogger("callup.web")
#: Signed-in requests whose session the worker knew (`remembered`) or asked the store about (`asked`).
CHECKS = Counter("callup_session_checks", "Signed-in requests' session checks, remembered or asked of the store", ["outcome"])
REMEMBERED, ASKED = CHECKS.labels("remembered"), CHECKS.labels("asked")


def listener_name() -> str:
    """The listening connection's name in `pg_stat_activity`: one per worker process."""
    return f"callup session marks {os.getpid()}"


def person_key(national_id: str) -> str:
    """How the store's notices name a person (migration 0033): never the national id itself."""
    return hashlib.sha256(national_id.strip().encode("utf-8")).hexdigest()[:16]


class SessionMarks:
    """Sessions known to be live, each with its person's newest audit entry; see the module docstring."""

    def __init__(self, conninfo: str, send_notice: Callable[[str], None], *, ttl: float, local_commits: Callable[[], int],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._conninfo, self._send, self.ttl, self._commits, self._clock = conninfo, send_notice, ttl, local_commits, clock
        self._known: dict[str, tuple[str | None, int | None, float]] = {}  # session key -> (person key, mark, when)
        self._sessions_of: dict[str, set[str]] = {}  # person key -> their session keys
        self._changes = 0  # notices handled: an answer read while this moved is not remembered
        self._live = False
        self.connections = 0  # times the worker began listening (the first, and each after the store went away)
        self._synced = -1  # `local_commits()` as of the last notice of our own that came back
        self._seen = 0  # the newest of our own notices that came back
        self._tokens = itertools.count(1)
        self._id = secrets.token_hex(8)  # names this worker's own notices (process ids repeat across machines)
        self._deaf = False  # a notice of our own did not come back: the listener must connect again
        self._cond = threading.Condition()
        self._sync_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- what a request asks ------------------------------------------------------------------------
    def get(self, session_key: str, *, catch_up: bool) -> tuple[int | None] | None:
        """`(mark,)` if the session is known to be live (mark: its citizen's newest audit entry, None for
        the administration's users); None when the store must be asked. After a commit of this process,
        with `catch_up` it first waits for the notices up to it (a round trip), without it answers None."""
        self._start()
        if not self._live:
            return None
        if self._commits() != self._synced and not (catch_up and self._catch_up()):
            return None
        with self._cond:
            found = self._known.get(session_key)
            if found is None or self._clock() - found[2] >= self.ttl:
                return None
        REMEMBERED.inc()
        return (found[1],)

    def begin(self) -> int:
        """Call before reading an answer from the store; pass the result to `remember`."""
        with self._cond:
            return self._changes if self._live else -1

    def remember(self, session_key: str, person: str | None, mark: int | None, began: int) -> None:
        """Remember that the session is live (and its person's mark), unless a notice came in since `began`."""
        with self._cond:
            if began < 0 or began != self._changes or not self._live:
                return
            if len(self._known) >= SIZE:
                self._forget()
                return
            self._known[session_key] = (person, mark, self._clock())
            if person is not None:
                self._sessions_of.setdefault(person, set()).add(session_key)

    # -- notices --------------------------------------------------------------------------------------
    def _handle(self, payload: str) -> None:
        kind, _, keys = payload.partition(" ")
        with self._cond:
            if kind in ("sync", "beat"):  # a worker's notice to itself: ours says the notices before it were handled
                ident, _, n = keys.partition("-")
                if kind == "sync" and ident == self._id and n.isdigit():
                    self._seen = max(self._seen, int(n))
                    self._cond.notify_all()
                return
            self._changes += 1
            if kind == "p":
                for person in keys.split(","):
                    for session_key in self._sessions_of.pop(person, ()):
                        self._known.pop(session_key, None)
            elif kind == "s":
                for session_key in keys.split(","):
                    found = self._known.pop(session_key, None)
                    if found is not None and found[0] is not None:
                        self._sessions_of.get(found[0], set()).discard(session_key)
            else:  # '*': too many to name
                self._forget()

    def _forget(self) -> None:
        self._known.clear()
        self._sessions_of.clear()
        self._changes += 1

    def _catch_up(self) -> bool:
        """Wait until every notice up to this process's latest commit has been handled; False if that failed."""
        with self._sync_lock:  # one notice of our own at a time: those waiting behind it are covered by it
            target = self._commits()
            if target == self._synced:
                return True
            token = next(self._tokens)
            try:
                self._send(f"sync {self._id}-{token}")
            except Exception:  # noqa: BLE001 - the store is unreachable: the caller asks it, and says why
                return False
            with self._cond:
                back = self._cond.wait_for(lambda: self._seen >= token or not self._live, timeout=SYNC_TIMEOUT)
                if back and self._live:
                    self._synced = target
                    return True
                if not back:  # sent but never heard: the listener hears nothing; stop trusting it until it listens again
                    self._deaf = True
            if not back:
                self._connected(False)
            return False

    # -- the listening thread ---------------------------------------------------------------------------
    def _start(self) -> None:
        if self._thread is None:
            with self._sync_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=_listen, args=(weakref.ref(self), self._conninfo, self._stop),
                                                    name="callup-session-marks", daemon=True)
                    self._thread.start()

    def _connected(self, live: bool) -> None:
        with self._cond:
            self._forget()  # whatever happened while nobody listened is unknown
            self._live = live
            self.connections += live
            if live:
                self._deaf = False
            self._cond.notify_all()

    def close(self) -> None:
        """Stop listening (the thread ends within half a second)."""
        self._stop.set()
        self._connected(False)

    @property
    def live(self) -> bool:
        return self._live

    def status(self) -> str:
        """In a few words, for the readiness check."""
        self._start()
        return "listening" if self._live else "not listening (each request asks the store)"


class _Deaf(Exception):
    """The listening connection no longer hears the store (a notice of our own did not come back)."""


def _listen(ref: weakref.ref[SessionMarks], conninfo: str, stop: threading.Event) -> None:
    """The worker's listening thread: holds no strong reference to its `SessionMarks`, so a dropped app ends it."""
    import psycopg
    import psycopg.conninfo

    delay, failures = 0.5, 0
    while not stop.is_set():
        try:
            dsn = psycopg.conninfo.make_conninfo(conninfo, connect_timeout=5, application_name=listener_name(), **KEEPALIVE)
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(f"LISTEN {CHANNEL}")
                marks = ref()
                if marks is None:
                    return
                ident = marks._id
                marks._connected(True)
                del marks
                if failures:
                    log.info("listening for the store's notices again")
                delay, failures = 0.5, 0
                beats, beat_back, beat_at = 0, True, time.monotonic()
                while not stop.is_set():
                    if time.monotonic() - beat_at >= HEARTBEAT:
                        if not beat_back:
                            raise _Deaf
                        beats, beat_back, beat_at = beats + 1, False, time.monotonic()
                        conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, f"beat {ident}-{beats}"))
                    for notice in conn.notifies(timeout=0.5):
                        if notice.payload == f"beat {ident}-{beats}":
                            beat_back = True
                            continue
                        marks = ref()
                        if marks is None:
                            return
                        marks._handle(notice.payload)
                        del marks
                    marks = ref()
                    if marks is None:
                        return
                    if marks._deaf:
                        raise _Deaf
                    del marks
        except Exception as exc:  # noqa: BLE001 - the store went away: requests ask it until we listen again
            if stop.is_set():
                return
            failures += 1
            if failures == 1:  # once an outage: the retries say nothing new
                log.warning("not listening for the store's notices (%s): every request asks the store",
                            "no answer" if isinstance(exc, _Deaf) else type(exc).__qualname__)
        marks = ref()
        if marks is None:
            return
        marks._connected(False)
        del marks
        stop.wait(delay)
        delay = min(delay * 2, 10.0)
