"""The daily work: deemed delivery, reminders, follow-up counts, discharge at the end of term,
retention and the withdrawal of outdated status documents, each run once a day without anyone
typing a command.

On PostgreSQL, `callup worker` runs them as procrastinate periodic tasks (`jobs.queue`); anywhere,
`callup jobs run-due` (a cron line) runs whatever is due as of the context's clock. Either way a
job is claimed first: one `job_runs` row per job and day, inserted in its own transaction (the
primary key lets exactly one of two concurrent runners have it), so a job runs once a day however
many runners there are, and a second run on the same day finds it done and does nothing. A failed
run is marked failed and taken again by the next runner; a claim whose runner died is taken over
after `STALE` by the context's clock. Every job is itself idempotent (each service checks state
before it changes it), so even a taken-over run does nothing twice. Each run records what it did:
its `job_runs` row (counts as JSON) and one audit entry.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import socket
from collections.abc import Callable
from typing import Any, ClassVar, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.exc import IntegrityError

from callup.audit import AuditEvent
from callup.context import Context, Role, make_actor
from callup.jobs.tables import JOB_RUN, JobRun
from callup.uow import UnitOfWork

runs = cast(Table, JobRun.__table__)
STALE = dt.timedelta(hours=2)
ACTOR = "daily jobs"


@dataclasses.dataclass(frozen=True, kw_only=True)
class JobRan(AuditEvent):
    """jobs.run: a daily job ran for a day (its counts), or failed (the kind of error)."""

    action: ClassVar[str] = "jobs.run"
    job: str
    day: str
    outcome: str
    result: dict[str, Any]


def system_context(ctx: Context) -> Context:
    """`ctx` acting as the system: the daily jobs are nobody's request."""
    return ctx.with_actor(make_actor(ACTOR, Role.system.value))


# --- the jobs ----------------------------------------------------------------------------------------


def deemed_delivery(ctx: Context, day: dt.date) -> dict[str, Any]:
    from callup.notices.service import apply_deemed_delivery, campaigns_with_live_summonses

    with UnitOfWork(ctx) as uow:
        return {"delivered": {name: apply_deemed_delivery(uow, name, on=day) for name in campaigns_with_live_summonses(uow)}}


def reminders(ctx: Context, day: dt.date) -> dict[str, Any]:
    """Queue the reminders due today; they are sent by `send_reminders` (right after, in `run_due`;
    every few minutes on a worker)."""
    from callup.notices.reminders import plan

    with UnitOfWork(ctx) as uow:
        return {"queued": plan(uow, day)}


def follow_up(ctx: Context, day: dt.date) -> dict[str, Any]:
    from callup.notices.service import campaigns_with_live_summonses, follow_up_counts

    with UnitOfWork(ctx) as uow:
        return {"follow_up": {name: follow_up_counts(uow, name) for name in campaigns_with_live_summonses(uow)}}


def discharge_due(ctx: Context, day: dt.date) -> dict[str, Any]:
    from callup.military_service.induction import discharge_due as discharge

    with UnitOfWork(ctx) as uow:
        return {"discharged": len(discharge(uow, day))}


def retention(ctx: Context, day: dt.date) -> dict[str, Any]:
    from callup.retention.service import apply_retention

    report = apply_retention(ctx, day)
    return {"erased": {c.name: c.erased for c in report.categories}, "policy_version": report.policy_version}


def status_documents(ctx: Context, day: dt.date) -> dict[str, Any]:
    from callup.military_service.status_documents import refresh

    return {"withdrawn": refresh(ctx)}


#: name -> (job, cron line of the worker's schedule, UTC). Order matters in `run_due`: delivery is
#: deemed before reminders are planned and follow-ups counted.
JOBS: dict[str, tuple[Callable[[Context, dt.date], dict[str, Any]], str]] = {
    "deemed-delivery": (deemed_delivery, "0 2 * * *"),
    "follow-up": (follow_up, "15 2 * * *"),
    "discharge-due": (discharge_due, "30 2 * * *"),
    "retention": (retention, "0 3 * * *"),
    "status-documents": (status_documents, "15 3 * * *"),  # after the night's changes: withdraw outdated documents
    "reminders": (reminders, "0 7 * * *"),  # in the morning: people are reminded in the day, not at night
}
#: Sending reminders (due and retried): every few minutes in the day.
SEND_CRON = "*/5 7-19 * * *"


# --- claiming and recording --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Run:
    job: str
    day: dt.date
    outcome: str  # done, failed, or skipped (done or running elsewhere)
    result: dict[str, Any]


def runner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:128]


def _claim(ctx: Context, job: str, day: dt.date) -> bool:
    """Take (job, day) for this process; False when it is done, or running elsewhere and not stale."""
    try:
        with UnitOfWork(ctx) as uow:
            now = uow.now()
            row = uow.execute(select(runs).where(runs.c.job == job, runs.c.day == day).with_for_update()).mappings().first()
            if row is None:
                uow.execute(insert(runs).values(job=job, day=day, state="running", attempts=1, started_at=now,
                                                runner=runner_name()))
                return True
            started = row["started_at"] if row["started_at"].tzinfo else row["started_at"].replace(tzinfo=dt.UTC)
            if row["state"] == "done" or row["state"] == "running" and started > now - STALE:
                return False
            taken = uow.execute(update(runs).where(runs.c.job == job, runs.c.day == day, runs.c.state == row["state"],
                                                   runs.c.attempts == row["attempts"])
                                .values(state=JOB_RUN.step(row["state"], "claim", subject=f"{job} of {day}"),
                                        attempts=row["attempts"] + 1, started_at=now, finished_at=None,
                                        runner=runner_name())).rowcount
            return taken == 1
    except IntegrityError:  # another runner inserted the claim first
        return False


def _finish(ctx: Context, job: str, day: dt.date, outcome: str, result: dict[str, Any]) -> None:
    with UnitOfWork(ctx) as uow:
        uow.execute(update(runs).where(runs.c.job == job, runs.c.day == day, runs.c.state == "running")
                    .values(state=JOB_RUN.step("running", "finish" if outcome == "done" else "fail", subject=f"{job} of {day}"),
                            finished_at=uow.now(), result=json.dumps(result, sort_keys=True, default=str)))
        uow.record(JobRan(target=f"job:{job}", job=job, day=day.isoformat(), outcome=outcome, result=result))


def run_job(ctx: Context, job: str, day: dt.date | None = None) -> Run:
    """Run daily job `job` for `day` (today by the context's clock) unless it already ran or is running."""
    if job not in JOBS:
        from callup.errors import InputError

        raise InputError(f"no daily job {job!r} (known: {', '.join(JOBS)})", field="job")
    ctx = system_context(ctx)
    day = day or ctx.today()
    if not _claim(ctx, job, day):
        return Run(job, day, "skipped", {})
    try:
        result = JOBS[job][0](ctx, day)
    except Exception as exc:
        # Recorded without the message (it may quote a value), then raised for the worker or command to report.
        _finish(ctx, job, day, "failed", {"error": type(exc).__name__})
        raise
    _finish(ctx, job, day, "done", result)
    return Run(job, day, "done", result)


@dataclasses.dataclass(frozen=True)
class RunDue:
    day: dt.date
    runs: list[Run]
    failed: dict[str, str]  # job -> one line saying what went wrong
    sent: dict[str, int]  # reminders sent in this run, by the state they were left in


def run_due(ctx: Context, *, channels: Any = None, rate: float = 10.0, send_limit: int | None = None) -> RunDue:
    """Every daily job not yet done today (by the context's clock), then the reminders due now.

    A failed job does not stop the others; it is listed and taken again by the next run."""
    ctx = system_context(ctx)
    day = ctx.today()
    done: list[Run] = []
    failed: dict[str, str] = {}
    for job in JOBS:
        try:
            done.append(run_job(ctx, job, day))
        except Exception as exc:  # noqa: BLE001 - one job's failure is reported; the others still run
            from callup.errors import CallupError

            failed[job] = str(exc) if isinstance(exc, CallupError) else f"{type(exc).__name__} (see the job's record)"
            done.append(Run(job, day, "failed", {}))
    sent = send_reminders(ctx, channels, rate=rate, limit=send_limit) if channels is not None else {}
    return RunDue(day, done, failed, sent)


def send_reminders(ctx: Context, channels: Any, *, rate: float = 10.0, limit: int | None = None) -> dict[str, int]:
    from callup.notices.reminders import send_due

    return send_due(system_context(ctx), channels, rate=rate, limit=limit).outcomes


@dataclasses.dataclass(frozen=True)
class RunRecord:
    job: str
    day: dt.date
    state: str
    attempts: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    result: dict[str, Any]


def history(ctx: Context, *, days: int = 14) -> list[RunRecord]:
    """The daily jobs' runs of the last `days` days, newest first."""
    ctx.require(Role.administrator, Role.auditor, Role.system, doing="reading the daily jobs' runs")
    since = ctx.today() - dt.timedelta(days=days)
    with UnitOfWork(ctx, write=False) as uow:
        rows = uow.execute(select(runs).where(runs.c.day > since).order_by(runs.c.day.desc(), runs.c.job)).mappings().all()
    return [RunRecord(r["job"], r["day"], r["state"], r["attempts"], r["started_at"], r["finished_at"],
                      json.loads(r["result"]) if r["result"] else {}) for r in rows]
