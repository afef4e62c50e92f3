"""The daily work runs itself: each daily job once a day however often and from however many places it
is started (`callup jobs run-due` from cron, `callup worker` on PostgreSQL), each run recorded."""

from __future__ import annotations

import datetime as dt
import json
import os
import pathlib
import subprocess
import sys

import pytest
from sqlalchemy import func, select

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "campaigns"))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "notices"))

from message_servers import sms_server, smtp_server  # noqa: E402
from test_reminders import ISSUE_DAY, published  # noqa: E402

from callup import audit  # noqa: E402
from callup.jobs.daily import JOBS, history, run_due  # noqa: E402
from callup.jobs.tables import JobRun  # noqa: E402
from callup.notices.channels import Channels, HttpSmsChannel, SmsSettings, SmtpChannel, SmtpSettings  # noqa: E402
from callup.notices.tables import Reminder, Summons  # noqa: E402
from callup_test_support import POSTGRES_URL, make_context, make_store_url  # noqa: E402
from campaign_helpers import on_day  # noqa: E402

runs_t, reminders_t, summonses_t = JobRun.__table__, Reminder.__table__, Summons.__table__
pytestmark = pytest.mark.db


@pytest.fixture
def servers():
    with smtp_server() as (box, port), sms_server() as (provider, url):
        channels = Channels(email=SmtpChannel(SmtpSettings(host="127.0.0.1", port=port)),
                            sms=HttpSmsChannel(SmsSettings(url=url, key=provider.key)))
        yield box, provider, channels, {"CALLUP_SMTP_HOST": "127.0.0.1", "CALLUP_SMTP_PORT": str(port),
                                        "CALLUP_SMS_URL": url, "CALLUP_SMS_KEY": provider.key}


def _runs(engine):  # noqa: ANN001, ANN202
    with engine.connect() as conn:
        return conn.execute(select(runs_t.c.job, runs_t.c.day, runs_t.c.state, runs_t.c.attempts)).all()


def test_advancing_the_clock_through_a_campaign_runs_each_daily_job_once_a_day(ctx, engine, tmp_path, servers):
    box, provider, channels, _ = servers
    start = published(ctx, tmp_path)
    days = [ISSUE_DAY + dt.timedelta(days=n) for n in range(13)]
    delivered_by_day = {}
    for day in days:
        first = run_due(on_day(start, day), channels=channels, rate=1000)
        again = run_due(on_day(start, day), channels=channels, rate=1000)  # a second cron line, the same day
        assert [r.outcome for r in first.runs] == ["done"] * len(JOBS) and not first.failed
        assert [r.outcome for r in again.runs] == ["skipped"] * len(JOBS) and again.sent == {}
        with engine.connect() as conn:
            delivered_by_day[day] = conn.execute(select(func.count()).where(summonses_t.c.delivery_source == "deemed")).scalar_one()

    runs = _runs(engine)
    assert sorted((job, day) for job, day, _, _ in runs) == sorted((job, day) for job in JOBS for day in days)
    assert {(state, attempts) for _, _, state, attempts in runs} == {("done", 1)}
    entries = audit.entries(engine, action="jobs.run")
    assert len(entries) == len(JOBS) * len(days)
    # Deemed delivery by the policy's rule: published notices count as delivered 7 days after publication, not before.
    deemed_days = start.policy().in_force(ISSUE_DAY).notices.deemed_delivered_days["portal"]
    assert delivered_by_day[ISSUE_DAY + dt.timedelta(days=deemed_days - 1)] == 0
    assert delivered_by_day[ISSUE_DAY + dt.timedelta(days=deemed_days)] > 0
    # Reminders: on publication, then before the first deadline; each sent once.
    with engine.connect() as conn:
        kinds = dict(conn.execute(select(reminders_t.c.kind, func.count()).group_by(reminders_t.c.kind)).all())
        total = conn.execute(select(func.count()).select_from(reminders_t)).scalar_one()
    assert kinds.get("published") and kinds.get("deadline")
    assert len(box.messages) + len(provider.received) == total
    assert len({m["Message-ID"] for m in box.messages}) == len(box.messages)
    # What each run did is on record, and readable.
    record = history(on_day(start, days[-1]), days=30)
    assert {r.job for r in record} == set(JOBS) and all(r.state == "done" for r in record)
    assert any(r.result.get("delivered", {}).get("spring-2027") for r in record if r.job == "deemed-delivery")


def test_two_run_due_commands_started_together_do_the_work_once(ctx, engine, tmp_path, servers, store_url):
    box, provider, _, channel_env = servers
    published(ctx, tmp_path)
    env = {**os.environ, **channel_env, "CALLUP_DATABASE_URL": store_url, "CALLUP_NOW": f"{ISSUE_DAY}T08:00:00Z",
           "CALLUP_REMINDER_RATE": "1000"}
    commands = [subprocess.Popen([sys.executable, "-m", "callup.cli", "jobs", "run-due", "--json"], env=env, cwd=tmp_path,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    answers = []
    for command in commands:
        out, err = command.communicate(timeout=300)
        assert command.returncode == 0, err
        answers.append(json.loads(out))
    outcomes = sorted(r["outcome"] for a in answers for r in a["runs"])
    assert outcomes == sorted(["done"] * len(JOBS) + ["skipped"] * len(JOBS))
    assert {(state, attempts) for _, _, state, attempts in _runs(engine)} == {("done", 1)}
    assert len(audit.entries(engine, action="jobs.run")) == len(JOBS)
    with engine.connect() as conn:
        queued = conn.execute(select(func.count()).select_from(reminders_t)).scalar_one()
    assert queued and len(box.messages) + len(provider.received) == queued


def test_a_failed_job_is_recorded_and_run_again_by_the_next_run(ctx, engine, tmp_path, monkeypatch):
    from callup.jobs import daily

    def broken(ctx, day):  # noqa: ANN001, ANN202
        raise RuntimeError("the disk is full")

    monkeypatch.setitem(daily.JOBS, "follow-up", (broken, "15 2 * * *"))
    day = on_day(ctx, ISSUE_DAY)
    result = run_due(day)
    assert "follow-up" in result.failed and "disk" not in result.failed["follow-up"]
    assert [r.outcome for r in result.runs].count("done") == len(JOBS) - 1
    monkeypatch.setitem(daily.JOBS, "follow-up", (daily.follow_up, "15 2 * * *"))
    again = run_due(day)
    assert [(r.job, r.outcome) for r in again.runs if r.outcome == "done"] == [("follow-up", "done")]
    assert {(job, state, attempts) for job, _, state, attempts in _runs(engine) if job == "follow-up"} == {("follow-up", "done", 2)}


@pytest.mark.skipif(POSTGRES_URL is None, reason="the job queue needs PostgreSQL")
def test_the_worker_runs_the_daily_jobs_as_periodic_tasks_once_a_day(tmp_path):
    from callup.jobs.queue import daily_task_name, ensure_schema, make_app
    from callup.store import open_store
    from callup.store.service import upgrade_schema

    url, drop = make_store_url("postgres", tmp_path)
    engine = open_store(url)
    try:
        upgrade_schema(make_context(url))  # the deploy step: our schema and the queue's
        ensure_schema(url)
        app = make_app(url)
        scheduled = {p.task.name: p.cron for p in app.periodic_registry.periodic_tasks.values()}
        assert scheduled == {**{daily_task_name(job): cron for job, (_, cron) in JOBS.items()},
                             "callup.send_reminders": "*/5 7-19 * * *"}
        with app.open():  # two deferrals of the same day's job (two workers' schedules, a retry)
            for _ in range(2):
                app.tasks[daily_task_name("discharge-due")].defer(timestamp=0)
        env = {**os.environ, "CALLUP_DATABASE_URL": url, "CALLUP_NOW": "2027-04-02T02:30:00Z"}
        worker = subprocess.run([sys.executable, "-m", "callup.cli", "worker", "--once"], env=env, cwd=tmp_path,
                                capture_output=True, text=True, timeout=300)
        assert worker.returncode == 0, worker.stderr
        # The worker also defers the jobs whose schedule falls in the last minutes of the wall clock (not the
        # context's): look at the job deferred twice only.
        assert [r for r in _runs(engine) if r[0] == "discharge-due"] == [("discharge-due", dt.date(2027, 4, 2), "done", 1)]
        assert [e.details["job"] for e in audit.entries(engine, action="jobs.run")].count("discharge-due") == 1
    finally:
        engine.dispose()
        drop()
