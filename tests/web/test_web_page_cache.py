"""The citizen's status page and status answer kept by a worker: served again only while nothing
about the person changed, for the session it was built for, and never longer than its time."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import time

from hypothesis import given, settings, strategies as st
from prometheus_client import REGISTRY
from sqlalchemy import text

from callup.context import FixedClock
from callup.notices import service
from callup.uow import UnitOfWork
from callup.web.page_cache import PageCache
from web_support import NOW, client, csrf_of, session_cookie


class Ticks:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _badge(html: str) -> str:
    return re.search(r'<dt>Summons</dt><dd><span class="badge">([^<]+)</span>', html).group(1)


TTL = 20  # seconds (CALLUP_STATUS_KEEP_SECONDS), not the default, so the setting is what counts


def _answers(outcome: str) -> float:
    return REGISTRY.get_sample_value("callup_status_answers_total", {"outcome": outcome}) or 0.0


def _as(site, citizen, **settings):  # noqa: ANN001, ANN003, ANN202
    c = client(site, **settings)
    c.cookies.set("callup_session", session_cookie(site, citizen=citizen))
    return c


def test_the_citizens_own_step_on_another_worker_shows_on_the_next_status_page(site):
    cit = site.citizens[40]
    worker_a, worker_b = _as(site, cit), _as(site, cit)  # two apps: two workers, each with its own kept pages
    assert _badge(worker_a.get("/portal").text) == "Sent to you"
    kept_before = _answers("kept")
    assert _badge(worker_a.get("/portal").text) == "Sent to you"
    assert _answers("kept") == kept_before + 1  # served again, and counted for the operators' metrics
    warning = worker_b.get(f"/portal/summons/{cit.reference}")
    assert worker_b.post(f"/portal/summons/{cit.reference}/open", data={"csrf": csrf_of(warning.text)}).status_code == 303
    assert _badge(worker_a.get("/portal").text) == "Delivered"
    assert worker_a.get("/api/v1/me/status").json()["summonses"][0]["status"] == "delivered"


def test_a_change_for_many_people_at_once_shows_once_the_kept_page_is_older_than_its_time(site):
    cit = site.citizens[41]
    c = _as(site, cit, status_keep_seconds=TTL)
    ticks = Ticks()
    c.app.state.web.pages = PageCache(ttl=c.app.state.web.settings.status_keep_seconds, clock=ticks)
    assert _badge(c.get("/portal").text) == "Sent to you"
    assert c.get("/api/v1/me/status").json()["summonses"][0]["status"] == "sent"
    _deem_delivered(site)
    ticks.now = TTL * (1 - c.app.state.web.pages.spread) - 1
    assert _badge(c.get("/portal").text) == "Sent to you"  # within its time the worker serves what it kept
    ticks.now = TTL
    assert _badge(c.get("/portal").text) == "Delivered"
    assert c.get("/api/v1/me/status").json()["summonses"][0]["status"] == "delivered"


def _deem_delivered(site) -> None:  # noqa: ANN001
    later = dataclasses.replace(site.admin, clock=FixedClock(NOW + dt.timedelta(days=60)))
    with UnitOfWork(later) as uow:  # one audit entry naming the campaign, none naming the person
        assert service.apply_deemed_delivery(uow, "spring-2027", on=later.today()) > 0


def test_with_keeping_turned_off_even_an_unaudited_change_shows_on_the_next_status_page(site):
    cit = site.citizens[44]
    c = _as(site, cit, status_keep_seconds=0)
    before = _badge(c.get("/portal").text)  # sent, or delivered if another test deemed it so first
    status, shown = ("sent", "Sent to you") if before == "Delivered" else ("delivered", "Delivered")
    with UnitOfWork(site.admin) as uow:  # behind the app's back: no audit entry at all
        uow.conn.execute(text("UPDATE summonses SET status = :s WHERE reference = :r"), {"s": status, "r": cit.reference})
    assert _badge(c.get("/portal").text) == shown
    assert c.get("/api/v1/me/status").json()["summonses"][0]["status"] == status


def test_a_kept_page_goes_only_to_the_session_it_was_built_for(site):
    cit = site.citizens[42]
    c = client(site)
    first, second = session_cookie(site, citizen=cit), session_cookie(site, citizen=cit)
    c.cookies.set("callup_session", first)
    token_first = csrf_of(c.get("/portal").text)
    c.cookies.set("callup_session", second)
    token_second = csrf_of(c.get("/portal").text)
    assert token_first != token_second  # each page carries its own session's token
    other = site.citizens[43]
    c.cookies.set("callup_session", session_cookie(site, citizen=other))
    assert other.reference in c.get("/portal").text and cit.reference not in c.get("/portal").text


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcde"), st.integers(0, 3), st.floats(0, 40)), max_size=40))
def test_the_cache_serves_only_what_was_kept_under_the_same_mark_within_its_time_and_keeps_at_most_its_size(steps):
    ticks = Ticks()
    cache = PageCache(size=3, ttl=10.0, clock=ticks, spread=0)
    kept: dict[str, tuple[int, float, str]] = {}  # what a cache of unbounded size would hold
    order: list[str] = []
    for key, mark, at in steps:
        ticks.now = max(ticks.now, at)
        found = cache.get(key, mark)
        held = key in order[-3:] and kept[key][0] == mark and ticks.now - kept[key][1] < 10.0
        assert (found is not None) == held
        if found is not None:  # exactly what was put under that key and mark
            assert found == kept[key][2]
            order.remove(key)
            order.append(key)
        else:
            cache.put(key, mark, f"{key}{mark}{ticks.now}")
            kept[key] = (mark, ticks.now, f"{key}{mark}{ticks.now}")
            if key in order:
                order.remove(key)
            order.append(key)
        assert len(cache._kept) <= 3
        assert list(cache._kept) == order[-3:]  # the least recently used go first


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 12), min_size=1, max_size=20))
def test_pages_built_together_lapse_at_different_moments_but_never_after_their_time(built_at):
    ticks = Ticks()
    cache = PageCache(ttl=10.0, clock=ticks, spread=0.2)
    for i, at in enumerate(sorted(built_at)):
        ticks.now = at
        cache.put(i, 1, "page")
    for i, at in enumerate(sorted(built_at)):
        ticks.now = at + 8.0 - 1e-6
        assert cache.get(i, 1) == "page"  # kept for at least (1 - spread) of its time
        ticks.now = at + 10.0
        assert cache.get(i, 1) is None  # never past its time
    ticks.now = 0
    for i in range(50):
        cache.put(("together", i), 1, "page")
    lapses = {round(cache._kept[("together", i)][1], 6) for i in range(50)}
    assert len(lapses) > 40  # fifty pages built in the same instant do not lapse in the same instant


def test_many_requests_for_a_page_being_built_wait_for_that_one_build():
    import threading

    cache = PageCache(ttl=10.0)
    builds, release = [], threading.Event()

    def build() -> str:
        builds.append(1)
        release.wait(5)
        return "page"

    answers: list[str] = []
    together = threading.Barrier(8)

    def reload() -> None:  # as `kept` does: what is kept, else built once
        together.wait()
        answers.append(cache.get("k", 7, count_miss=False) or cache.build_once("k", 7, build))

    threads = [threading.Thread(target=reload) for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(0.3)  # all eight have asked; one is building
    release.set()
    for t in threads:
        t.join()
    assert answers == ["page"] * 8 and len(builds) == 1
