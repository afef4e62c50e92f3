"""`callup worker`: run queued jobs and the daily jobs (PostgreSQL) until stopped; `callup jobs`: the daily
jobs from a cron line (any store) and their record."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from callup.cli_output import console, emit, err_console
from callup.cli_support import JsonOption, PolicyOption, context


def worker(
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, max=64, help="Jobs run at once by this worker.")] = 1,
    once: Annotated[bool, typer.Option("--once", help="Stop when the queue is empty instead of waiting for more.")] = False,
    stalled_after: Annotated[float, typer.Option("--stalled-after", min=5, max=86400, help="Seconds without a heartbeat after which another worker's running job is taken over.")] = 60,
) -> None:
    """Work through queued jobs (letters to print, ...) on a PostgreSQL store, and run the daily jobs and the
    sending of reminders at their times (see `callup jobs`); run as many as you like, anywhere.

    Refuses to start on a schema behind the code's (run `callup db upgrade` first). Jobs of a worker
    that was killed are taken over after a minute without its heartbeat."""
    from callup.jobs.queue import libpq_url, run_worker

    ctx = context(keys=True)
    libpq_url(ctx.database_url)  # refuses SQLite with the reason
    recovered = run_worker(ctx.database_url, concurrency=concurrency, wait=not once, stalled_after=stalled_after)
    if recovered:
        console.print(f"{recovered} stalled job(s) put back in the queue")


app = typer.Typer(help="The daily work: deemed delivery, reminders, follow-up counts, discharge due, retention, status documents.",
                  no_args_is_help=True)


@app.callback()
def _group() -> None:
    """The daily work: deemed delivery, reminders, follow-up counts, discharge due, retention, status documents."""


@app.command("run-due")
def run_due(
    policy: PolicyOption = None,
    send_limit: Annotated[int | None, typer.Option("--send-limit", min=0, help="Send at most this many reminders in this run.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Run every daily job not yet done today, then send the reminders due now: for a cron line (any store).

    Safe to run as often as you like, from as many machines as you like: each job runs once a day
    (the first run of the day does it; the others find it done), each reminder is sent once. The
    day is the jurisdiction's today (CALLUP_NOW and CALLUP_TIMEZONE set the clock)."""
    from callup.environment import channels_from, reminder_rate
    from callup.jobs.daily import run_due as run

    result = run(context(policy=policy), channels=channels_from(), rate=reminder_rate(), send_limit=send_limit)
    data = {"day": result.day.isoformat(), "runs": [{"job": r.job, "outcome": r.outcome, "result": r.result} for r in result.runs],
            "failed": result.failed, "reminders_sent": result.sent}

    def render(d: dict[str, Any]) -> None:
        console.print(f"daily jobs for {d['day']}:")
        for r in d["runs"]:
            said = {"done": "done", "skipped": "already done today (or running elsewhere)", "failed": "FAILED"}[r["outcome"]]
            console.print(f"  {r['job']:<16} {said}" + (f": {_words(r['result'])}" if r["result"] else ""))
        for job, why in d["failed"].items():
            err_console.print(f"{job}: {why}")
        sent = d["reminders_sent"]
        console.print("reminders: " + (", ".join(f"{n} {state}" for state, n in sent.items()) if sent else "none due"))

    emit(data, as_json=as_json, render=render)
    if result.failed:
        raise typer.Exit(1)


@app.command("runs")
def runs(
    days: Annotated[int, typer.Option("--days", min=1, max=3660, help="How many days back.")] = 14,
    as_json: JsonOption = False,
) -> None:
    """What the daily jobs did, day by day (newest first)."""
    from callup.jobs.daily import history

    rows = history(context(), days=days)
    data = [{"job": r.job, "day": r.day.isoformat(), "state": r.state, "attempts": r.attempts,
             "started_at": r.started_at.isoformat(), "finished_at": r.finished_at.isoformat() if r.finished_at else None,
             "result": r.result} for r in rows]

    def render(items: list[dict[str, Any]]) -> None:
        if not items:
            console.print("no daily job has run in that time")
        for r in items:
            console.print(f"{r['day']}  {r['job']:<16} {r['state']:<8} {_words(r['result'])}")

    emit(data, as_json=as_json, render=render)


def _words(result: dict[str, Any]) -> str:
    """A job's counts on one line: `delivered spring-2027=12; ...`."""
    parts = []
    for key, value in result.items():
        if isinstance(value, dict):
            inner = ", ".join(f"{k}={_words(v) if isinstance(v, dict) else v}" for k, v in value.items())
            parts.append(f"{key} {inner or 'none'}")
        else:
            parts.append(f"{key} {value}")
    return "; ".join(parts)
