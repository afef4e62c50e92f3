"""Admission control: past its limit a worker answers 503 with Retry-After at once, without reading
the request; sign-in has places of its own, health checks are never refused, and the worker takes
requests again as soon as the admitted ones are done."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from hypothesis import given, settings, strategies as st

from callup.web.admission import Admission
from web_support import run_async

HEADERS = [(b"x-content-type-options", b"nosniff")]


class Held:
    """An app whose requests wait until released, so the test controls how many are in flight."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.started = 0

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        self.started += 1
        await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})


async def _flood(paths: list[str], *, limit: int, reserve: int) -> tuple[Held, dict[int, httpx.Response]]:
    held = Held()
    app = Admission(held, limit=limit, reserve=reserve, headers=HEADERS)
    answers: dict[int, httpx.Response] = {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        async def one(i: int, path: str) -> None:
            answers[i] = await client.get(path)

        tasks = [asyncio.create_task(one(i, p)) for i, p in enumerate(paths)]
        for _ in range(50):  # let every request reach the middleware
            await asyncio.sleep(0)
        refused_before_release = {i for i, r in answers.items() if r.status_code == 503}
        held.release.set()
        await asyncio.gather(*tasks)
    assert refused_before_release == {i for i, r in answers.items() if r.status_code == 503}  # refused at once
    return held, answers


def test_requests_past_the_limit_are_refused_at_once_with_retry_after():
    held, answers = run_async(_flood(["/portal"] * 10, limit=4, reserve=2))
    refused = [r for r in answers.values() if r.status_code == 503]
    assert len(refused) == 6 and held.started == 4
    assert all(r.headers["retry-after"] == "2" and r.headers["x-content-type-options"] == "nosniff" for r in refused)
    assert "The service is busy" in refused[0].text and "Nothing you sent was lost" in refused[0].text


def test_the_api_is_refused_with_a_problem_document():
    _, answers = run_async(_flood(["/api/v1/me/status"] * 3, limit=1, reserve=0))
    refused = [r for r in answers.values() if r.status_code == 503]
    assert len(refused) == 2 and all(r.json()["status"] == 503 for r in refused)
    assert refused[0].headers["content-type"] == "application/problem+json"


def test_sign_in_degrades_last_and_health_checks_are_never_refused():
    paths = ["/portal"] * 6 + ["/signin"] * 3 + ["/healthz", "/readyz"]
    _, answers = run_async(_flood(paths, limit=4, reserve=2))
    status = {i: answers[i].status_code for i in answers}
    assert [status[i] for i in range(6)].count(503) == 2  # the status pages fill the four places
    assert [status[i] for i in range(6, 9)].count(503) == 1  # sign-in has two more
    assert status[9] == status[10] == 200


@settings(max_examples=30, deadline=None)
@given(limit=st.integers(1, 8), reserve=st.integers(0, 4), pages=st.integers(0, 15), signins=st.integers(0, 8))
def test_at_most_the_limit_is_admitted_and_no_more_is_refused_than_needed(limit, reserve, pages, signins):
    paths = ["/portal/status"] * pages + ["/signin"] * signins
    held, answers = run_async(_flood(paths, limit=limit, reserve=reserve))
    admitted = sum(r.status_code == 200 for r in answers.values())
    assert held.started == admitted <= limit + reserve
    assert sum(answers[i].status_code == 200 for i in range(pages)) == min(pages, limit)
    assert admitted == min(pages, limit) + min(signins, limit + reserve - min(pages, limit))


def test_the_worker_admits_again_once_the_admitted_are_served():
    async def run() -> list[int]:
        held = Held()
        app = Admission(held, limit=2, reserve=0, headers=HEADERS)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            first = [asyncio.create_task(client.get("/portal")) for _ in range(3)]
            for _ in range(50):
                await asyncio.sleep(0)
            held.release.set()
            codes = [r.status_code for r in await asyncio.gather(*first)]
            return codes + [(await client.get("/portal")).status_code]

    codes = run_async(run())
    assert sorted(codes[:3]) == [200, 200, 503] and codes[3] == 200


@pytest.mark.parametrize("value", ["0", "-3", "many", "100001"])
def test_a_wrong_limit_in_the_environment_is_one_clear_line(value):
    from callup.errors import InputError
    from callup.web.settings import _count

    with pytest.raises(InputError, match="CALLUP_WEB_MAX_IN_FLIGHT: .* is not a whole number from 1 to 100000"):
        _count({"CALLUP_WEB_MAX_IN_FLIGHT": value}, "CALLUP_WEB_MAX_IN_FLIGHT", 64)


@pytest.mark.parametrize("site", [pytest.param("sqlite", marks=pytest.mark.db)], indirect=True)
def test_a_worker_builds_pages_on_as_many_threads_as_its_setting_says(site):
    """Few threads on purpose (settings.py): at most `threads` blocking calls run at once; the rest wait their turn."""
    import threading
    import time

    from fastapi.testclient import TestClient

    from web_support import make_app

    app = make_app(site, threads=3)
    running, most, lock = [0], [0], threading.Lock()

    @app.get("/test-blocking")
    def blocking() -> dict[str, int]:  # a sync route, as the pages that ask the store
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return {"ok": 1}

    with TestClient(app) as c:  # `with`: the worker's start-up (lifespan), as under `callup serve`
        async def many() -> list[int]:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                return [r.status_code for r in await asyncio.gather(*(client.get("/test-blocking") for _ in range(12)))]

        assert c.portal.call(many) == [200] * 12
    assert most[0] == 3
