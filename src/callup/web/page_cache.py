"""The citizen's status page and status answer, kept by each worker for the citizen who asks again.

At the announcement of a campaign the same people reload their status page again and again, and
each page costs ten statements and a template. A worker keeps what it built, under what it was built
for (the page's session and language, the day), with the newest audit entry about the person when it
was built (`audit.last_about`), and serves it again without building it only

- while that entry is still the newest: every change to one person's summonses, cases, service or
  self-declaration is audited with the person as its target, so the citizen's own step and an
  officer's decision show on the very next request, on any worker (on PostgreSQL, once the store's
  notice of it has arrived: milliseconds); and
- for at most `ttl` seconds (`CALLUP_STATUS_KEEP_SECONDS`, default 15): changes made for many
  people at once (a campaign's summonses published, a post office's delivery file, delivery deemed
  by the policy's rule) name the campaign or the file, not each person, and reach a kept page
  within that time.

So a request served from here costs at most one round trip to the store (the session's record and
the newest entry, read together by `pages.session`) instead of eleven and a template, and on
PostgreSQL none at all while the worker remembers the session (session_marks.py): `kept_now` then
answers on the event loop, without a thread. The mark is read before the page's data, so a page
is never kept under a mark newer than what it shows.
"""

from __future__ import annotations

import collections
import random
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from prometheus_client import Counter

#: Status answers served again (`kept`) or built (`built`): the share kept is what the cache saves.
ANSWERS = Counter("callup_status_answers", "Citizens' status pages and answers, served again or built", ["outcome"])
_KEPT, _BUILT = ANSWERS.labels("kept"), ANSWERS.labels("built")
#: Answers a worker keeps (a status page is about 12 KB): the least recently used go first.
SIZE = 4096


class PageCache:
    """Answers by key, each with the mark it was built under and when it lapses; thread-safe (sync routes run in threads).

    Each answer lapses at a random moment between `(1 - spread) * ttl` and `ttl` after it was built, so the
    pages built together at an announcement are not all built again in the same second; and while one
    thread builds an answer, the others asking for it wait for that one (`build_once`) instead of each
    building it too."""

    def __init__(self, size: int = SIZE, ttl: float = 15.0, clock: Any = time.monotonic, spread: float = 0.5) -> None:
        self.size, self.ttl, self.spread, self._clock = size, ttl, spread, clock
        self._kept: collections.OrderedDict[Hashable, tuple[int | None, float, Any]] = collections.OrderedDict()
        self._building: dict[Hashable, threading.Event] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, mark: int | None, *, count_miss: bool = True) -> Any | None:
        """The answer kept under `key` if it was built under `mark` and has not lapsed."""
        with self._lock:
            found = self._kept.get(key)
            if found is None or found[0] != mark or self._clock() >= found[1]:
                if count_miss:
                    _BUILT.inc()
                return None
            self._kept.move_to_end(key)
            _KEPT.inc()
            return found[2]

    def put(self, key: Hashable, mark: int | None, answer: Any) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._kept[key] = (mark, self._clock() + self.ttl * (1 - self.spread * random.random()), answer)
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)

    def build_once(self, key: Hashable, mark: int | None, build: Callable[[], Any]) -> Any:
        """`build()`'s answer, kept under `key` and `mark`; if another thread is building it, its answer."""
        with self._lock:
            building = self._building.get(key)
            if building is None:
                self._building[key] = done = threading.Event()
        if building is not None:
            building.wait(timeout=10.0)
            found = self.get(key, mark, count_miss=False)
            if found is not None:
                return found
            # built under another mark, or not at all: build it here
        _BUILT.inc()
        try:
            answer = build()
            self.put(key, mark, answer)
            return answer
        finally:
            if building is None:
                with self._lock:
                    del self._building[key]
                done.set()


def kept_now(request: Any, key_of: Callable[[Any, Any, Any], Hashable]) -> Any | None:
    """The answer this worker kept for a signed-in citizen's reload, if it can tell without the store or a
    thread (its remembered sessions: session_marks.py); None otherwise, and the route runs as usual.
    `key_of(request, session, ctx)` is the route's key, as it passes it to `kept`."""
    from callup.web.pages import known_session, web
    from callup.web.sessions import CITIZEN

    w = web(request)
    if w.pages.ttl <= 0 or w.marks is None or w.replica is not None:
        return None
    me = known_session(request)
    if me is None or me.kind != CITIZEN:
        return None
    return w.pages.get(key_of(request, me, w.context(me.actor())), request.state.about_mark, count_miss=False)


def kept(request: Any, ctx: Any, key: Hashable, build: Any) -> Any:
    """`build()`'s answer for the citizen acting in `ctx`, or the one this worker kept under `key` while it still holds."""
    from callup.audit import last_about
    from callup.web.pages import web

    w = web(request)
    if w.pages.ttl <= 0:
        _BUILT.inc()
        return build()
    mark = getattr(request.state, "about_mark", None)  # read with the session check (pages.session), before the data
    if mark is None or w.replica is not None:  # the data may come from a replica: the mark must come from there too
        mark = w.read(ctx, lambda uow: last_about(uow, ctx.actor.own_id()), request=request)
    found = w.pages.get(key, mark, count_miss=False)
    return found if found is not None else w.pages.build_once(key, mark, build)
