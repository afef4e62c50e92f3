"""The operators' view: health and readiness probes, Prometheus metrics, JSON request logs without personal data."""

from __future__ import annotations

import pytest

from web_support import client, free_port, make_app, session_cookie


def test_healthz_answers_without_sign_in_and_without_the_store(site):
    with client(site) as c:
        c.app.state.web.read_engine = None  # a probe that touched the store would fail here
        answer = c.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}
    assert answer.headers["cache-control"] == "no-store"


def test_readyz_reports_every_check_ok_on_a_served_store_and_the_job_queue_on_postgresql(site):
    postgres = site.url.startswith("postgresql")
    if postgres:
        with client(site) as c:
            missing = c.get("/readyz")
        if missing.json()["checks"]["queue"] != "ok":  # the site is made without `callup db upgrade`'s queue tables
            assert missing.status_code == 503 and "callup db upgrade" in missing.json()["checks"]["queue"]
        from callup.jobs.queue import ensure_schema

        ensure_schema(site.url)
    with client(site) as c:
        answer = c.get("/readyz")
    assert answer.status_code == 200, answer.text
    checks = answer.json()["checks"]
    assert checks["store"] == checks["schema"] == checks["keys"] == "ok"
    assert checks["queue"] == ("ok" if postgres else "not configured")
    if not postgres:
        assert checks["notices"] == "not configured"  # SQLite sends none: every request asks the store
        return
    import time

    with client(site) as c:  # the worker starts listening for the store's notices when first asked
        for _ in range(150):
            notices = c.get("/readyz").json()["checks"]["notices"]
            if notices == "listening":
                break
            assert notices == "not listening (each request asks the store)"
            time.sleep(0.02)
    assert notices == "listening"


def test_readyz_is_503_when_the_schema_is_not_at_this_callups_head(site, monkeypatch):
    import callup.store.migrate

    with client(site) as c:
        monkeypatch.setattr(callup.store.migrate, "SCHEMA_HEAD", "a-newer-revision")
        answer = c.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["status"] == "unavailable"
    assert "needs a-newer-revision" in answer.json()["checks"]["schema"]


def test_readyz_is_503_and_names_no_address_when_the_store_is_unreachable(site, tmp_path):
    from sqlalchemy import create_engine

    with client(site) as c:
        if site.url.startswith("postgresql"):
            gone = create_engine("postgresql+psycopg://callup-secret-user@127.0.0.1:1/none", connect_args={"connect_timeout": 2})
        else:
            gone = create_engine(f"sqlite:///{tmp_path / 'missing-dir' / 'callup.db'}")
        c.app.state.web.read_engine = gone
        answer = c.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["checks"]["store"] == "unreachable"
    assert "secret-user" not in answer.text and "missing-dir" not in answer.text


def _scrape(site, *, drive) -> str:  # noqa: ANN001
    """Requests made by `drive(client)`, then one scrape of the metrics port (single process)."""
    import httpx

    from callup.web import metrics

    with client(site) as c:
        drive(c)
    server = metrics.serve(0, "127.0.0.1", site.url)
    try:
        return httpx.get(f"http://127.0.0.1:{server.server_port}/metrics", timeout=10).text
    finally:
        server.shutdown()


def _sample(body: str, name: str, **labels: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


def test_metrics_count_requests_by_route_template_never_by_reference(site):
    cit = site.citizens[11]

    def drive(c):  # noqa: ANN001, ANN202
        c.cookies.set("callup_session", session_cookie(site, citizen=cit))
        assert c.get(f"/portal/summons/{cit.reference}").status_code == 200
        assert c.get(f"/portal/summons/{cit.reference}").status_code == 200
        assert c.get(f"/no/such/page/{cit.code}").status_code == 404

    before = _scrape(site, drive=lambda c: None)
    after = _scrape(site, drive=drive)
    route = "/portal/summons/{reference}"
    counted = _sample(after, "callup_http_request_duration_seconds_count", method="GET", route=route)
    assert counted - _sample(before, "callup_http_request_duration_seconds_count", method="GET", route=route) == 2
    assert _sample(after, "callup_http_responses_total", method="GET", route=route, status="200") >= 2
    assert _sample(after, "callup_http_responses_total", method="GET", route="unmatched", status="404") >= 1
    assert cit.reference not in after and cit.code not in after and cit.national_id not in after


def test_metrics_count_summonses_by_status_from_the_store_at_scrape_time(site):
    from sqlalchemy import func, select

    from callup.notices.tables import Summons
    from callup.store.engine import connect

    body = _scrape(site, drive=lambda c: None)
    t = Summons.__table__
    with connect(site.url).connect() as conn:
        stored = {getattr(s, "value", s): n for s, n in conn.execute(select(t.c.status, func.count()).group_by(t.c.status))}
    assert stored and sum(stored.values()) == len(site.citizens)
    for status, n in stored.items():
        assert _sample(body, "callup_summonses", status=status) == n
    assert _sample(body, "callup_store_up") == 1


def test_metrics_show_reminders_by_state_and_the_daily_jobs_last_runs(ctx):
    import dataclasses
    import datetime as dt

    import httpx

    from callup.context import FixedClock
    from callup.jobs.daily import JOBS, run_due
    from callup.web import metrics

    at = dataclasses.replace(ctx, clock=FixedClock(dt.datetime(2027, 4, 2, 2, 30, tzinfo=dt.UTC)))
    run_due(at)
    server = metrics.serve(0, "127.0.0.1", ctx.database_url)
    try:
        body = httpx.get(f"http://127.0.0.1:{server.server_port}/metrics", timeout=10).text
    finally:
        server.shutdown()
    for job in JOBS:
        assert _sample(body, "callup_daily_job_runs", job=job, state="done") == 1
        assert _sample(body, "callup_daily_job_last_done_timestamp_seconds", job=job) == at.now().timestamp()
    assert "# TYPE callup_reminders gauge" in body


def test_the_request_id_is_kept_when_well_formed_and_made_otherwise(site):
    with client(site) as c:
        kept = c.get("/signin", headers={"X-Request-ID": "proxy-0123456789abcdef"})
        bad = c.get("/signin", headers={"X-Request-ID": "19900101-1234 <script>"})
        none = c.get("/signin")
    assert kept.headers["x-request-id"] == "proxy-0123456789abcdef"
    assert bad.headers["x-request-id"] != "19900101-1234 <script>" and len(bad.headers["x-request-id"]) == 16
    assert none.headers["x-request-id"] != bad.headers["x-request-id"]


@pytest.fixture
def json_log():
    """What the `callup` loggers write, as `callup serve` configures them (JSON lines), captured."""
    import io
    import logging

    from callup.web.logs import JsonFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("callup")
    old_level, old_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(old_level)
    logger.propagate = old_propagate


def test_one_json_line_per_request_with_its_id_route_status_and_duration(site, json_log):
    import json

    cit = site.citizens[12]
    with client(site) as c:
        answer = c.get(f"/s/{cit.reference}", headers={"X-Request-ID": "req-0000000000000001"})
        c.get("/healthz")  # a probe answered 200 is not logged
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    access = [line for line in lines if line["logger"] == "callup.access"]
    assert len(access) == 1, lines
    line = access[0]
    assert line["request_id"] == "req-0000000000000001" == answer.headers["x-request-id"]
    assert (line["method"], line["route"], line["status"]) == ("GET", "/s/{compact}", answer.status_code)
    assert line["duration_ms"] > 0 and line["level"] == "info" and line["time"].endswith("+00:00")


def test_an_unhandled_error_is_logged_with_the_request_id_and_without_its_message(site, json_log):
    import json

    from fastapi.testclient import TestClient


    cit = site.citizens[13]
    app = make_app(site)

    @app.get("/boom/{reference}")
    def boom(reference: str):  # noqa: ANN202
        raise RuntimeError(f"a driver's message quoting {cit.national_id}")

    with TestClient(app, raise_server_exceptions=False) as c:
        answer = c.get(f"/boom/{cit.reference}", headers={"X-Request-ID": "req-0000000000000002"})
    assert answer.status_code == 500
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    error = next(line for line in lines if line["level"] == "error")
    assert error["request_id"] == "req-0000000000000002" and error["error"] == "RuntimeError" and error["stack"]
    assert error["message"] == "unhandled error on GET /boom/{reference}"
    assert cit.national_id not in json_log.getvalue() and cit.reference not in json_log.getvalue()


def test_the_logs_of_portal_and_console_work_hold_no_national_id_name_reference_or_code(site, json_log):
    """Citizens and officers sign in and work; nothing in the log names a person or their summons."""
    import json

    from callup.register.queries import get_person
    from callup.uow import UnitOfWork
    from web_support import PASSWORD, csrf_of, totp_now

    me, other = site.citizens[20], site.citizens[21]
    looked_up = site.in_region(site.regions[0])[5]  # in the officer's region
    with UnitOfWork(site.admin) as uow:
        records = [get_person(uow, c.national_id, reason="log test") for c in (me, other, looked_up)]
    with client(site) as c:  # a citizen: a wrong code, sign-in, the status pages, another's summons, the API
        form = c.get(f"/signin?reference={me.reference}")
        assert c.post("/signin", data={"csrf": csrf_of(form.text), "reference": me.reference, "code": other.code}).status_code == 401
        signed_in = c.post("/signin", data={"csrf": csrf_of(form.text), "reference": me.reference, "code": me.code})
        assert signed_in.status_code == 303
        assert c.get("/portal").status_code == 200
        assert c.get(f"/portal/summons/{me.reference}").status_code == 200
        assert c.get(f"/portal/summons/{me.reference}/letter.pdf").status_code == 200
        assert c.get(f"/portal/summons/{other.reference}").status_code in (403, 404)
        assert c.get("/portal/document").status_code in (200, 404)
        c.get(f"/s/{me.reference}?code={me.code}")
    with client(site) as c:  # an officer: sign-in, the queue, a search and a person by national id, the API
        officer = f"officer-{site.regions[0]}"
        form = c.get("/officer/signin")
        signed_in = c.post("/officer/signin", data={"csrf": csrf_of(form.text), "name": officer, "password": PASSWORD,
                                                    "totp": totp_now()})
        assert signed_in.status_code == 303
        assert c.get("/console").status_code == 200
        assert c.get(f"/console/search?q={looked_up.national_id}").status_code == 200
        assert c.get(f"/console/people/{looked_up.national_id}?reason=log+test").status_code == 200
        assert c.get(f"/console/summons/{looked_up.reference}").status_code == 200
        assert c.get(f"/console/people/{other.national_id}0").status_code == 404
        api = c.post("/api/v1/token", json={"name": officer, "password": PASSWORD, "totp": totp_now(1)})
        assert api.status_code == 200, api.text
        bearer = {"authorization": f"Bearer {api.json()['token']}"}
        assert c.get(f"/api/v1/people/{looked_up.national_id}?reason=log+test", headers=bearer).status_code == 200
        assert c.get(f"/api/v1/summonses/{looked_up.reference}", headers=bearer).status_code == 200
    log = json_log.getvalue()
    lines = [json.loads(line) for line in log.splitlines()]
    assert len([line for line in lines if line["logger"] == "callup.access"]) >= 19
    assert all(line.get("request_id") for line in lines)
    for citizen, record in zip((me, other, looked_up), records):
        for secret in (citizen.national_id, citizen.reference, citizen.reference.replace("-", ""), citizen.code,
                       record["family_name"], record["given_names"]):
            assert secret not in log, f"the log names a person: {secret!r}"


def test_serve_with_two_workers_adds_up_their_requests_on_the_metrics_port_and_logs_json(site, tmp_path):
    """`callup serve --workers 2 --metrics-port`: the counts of both worker processes on one scrape."""
    import json
    import os
    import subprocess
    import sys
    import time

    import httpx


    port, metrics_port = free_port(), free_port()
    keys = site.keys_json()
    env = {**os.environ, "CALLUP_DATABASE_URL": site.url, "CALLUP_KEYS": keys, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom")}
    stderr = open(tmp_path / "stderr.log", "w+")  # noqa: SIM115 - read after the server stops
    server = subprocess.Popen([sys.executable, "-m", "callup.cli", "serve", "--port", str(port), "--workers", "2",
                               "--metrics-port", str(metrics_port)], env=env, stderr=stderr, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "the server did not start"
            time.sleep(0.2)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as c:
            answers = [c.get("/signin", headers={"connection": "close"}) for _ in range(30)]
        assert all(a.status_code == 200 and a.headers["x-request-id"] for a in answers)
        body = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert _sample(body, "callup_http_request_duration_seconds_count", method="GET", route="/signin") == 30
    assert _sample(body, "callup_summonses", status="sent") + _sample(body, "callup_summonses", status="delivered") > 0
    stderr.seek(0)
    access = [json.loads(line) for line in stderr if line.startswith("{") and '"callup.access"' in line]
    assert len(access) == 30 and {a["request_id"] for a in access} == {a.headers["x-request-id"] for a in answers}
