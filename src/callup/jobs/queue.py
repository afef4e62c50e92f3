"""Jobs on PostgreSQL with procrastinate: any number of `callup worker` processes, on any
number of machines, share the work through the one database.

A job's payload carries who asked for it (actor name, role, regions), never keys: a worker
acts with its own keys, loaded at its start from its environment, and records the requesting
actor in the audit log. Every task is idempotent (a print job claims its batch in the store and
does nothing when the batch is already printed), so a job run twice, or a stalled job retried
after its worker was killed, prints nothing twice.
"""

from __future__ import annotations

import dataclasses
import pathlib
from typing import TYPE_CHECKING, Any

import procrastinate

from callup.context import Context, make_actor
from callup.errors import CallupError

if TYPE_CHECKING:
    from callup.notices.printing import PrintResult

QUEUE = "callup"
PRINT_BATCH = "callup.print_batch"
STALLED_AFTER = 60.0  # seconds without a heartbeat before a running job counts as stalled


def libpq_url(database_url: str) -> str:
    """The store's SQLAlchemy URL as the libpq connection string procrastinate uses."""
    from callup.store.urls import libpq_url as convert

    if (converted := convert(database_url)) is not None:
        return converted
    raise CallupError("background jobs need a PostgreSQL store (set CALLUP_DATABASE_URL to one; on SQLite, commands run "
                      "their jobs in a process pool: use their --workers)")


SEND_REMINDERS = "callup.send_reminders"


def make_app(database_url: str) -> procrastinate.App:
    """The queue's app: the print task, and the daily jobs and reminder sending as periodic tasks
    (a worker defers each at its cron time; of several workers, one defers it, and the job's own
    claim in `job_runs` makes even a second run do nothing)."""
    from callup.jobs.daily import JOBS, SEND_CRON

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=libpq_url(database_url)))
    app.task(name=PRINT_BATCH, queue=QUEUE, pass_context=False)(print_batch)
    for job, (_, cron) in JOBS.items():
        task = app.task(name=daily_task_name(job), queue=QUEUE, pass_context=False)(_daily(job))
        app.periodic(cron=cron, periodic_id=job)(task)
    send = app.task(name=SEND_REMINDERS, queue=QUEUE, pass_context=False, queueing_lock=SEND_REMINDERS)(send_reminders)
    app.periodic(cron=SEND_CRON, periodic_id="send-reminders")(send)
    return app


def daily_task_name(job: str) -> str:
    return f"callup.daily.{job}"


def _system_context() -> Context:
    """The context of a daily task: this worker's store, keys and clock, acting as the system."""
    from callup.environment import context_from_environment
    from callup.jobs.daily import system_context

    return system_context(context_from_environment(store=False))


def _daily(job: str) -> Any:
    def run(timestamp: int | None = None) -> str:
        """Run one daily job for today (the worker's clock); nothing when it already ran today."""
        from callup.jobs.daily import run_job

        return run_job(_system_context(), job).outcome

    run.__name__ = run.__qualname__ = f"daily_{job.replace('-', '_')}"
    return run


def send_reminders(timestamp: int | None = None) -> dict[str, int]:
    """Send the reminders due now at this worker's rate (`CALLUP_REMINDER_RATE`)."""
    from callup.environment import channels_from, reminder_rate
    from callup.jobs.daily import send_reminders as send

    return send(_system_context(), channels_from(), rate=reminder_rate())


def ensure_schema(database_url: str) -> bool:
    """Create procrastinate's tables in the store when absent (part of `callup db upgrade`); True if created."""
    import psycopg

    with psycopg.connect(libpq_url(database_url)) as conn:
        row = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
    present = row is not None and row[0]
    if present:
        return False
    app = make_app(database_url)
    with app.open():
        app.schema_manager.apply_schema()
    return True


def payload(ctx: Context) -> dict[str, Any]:
    """Who asked, as a job carries it (JSON)."""
    actor = ctx.actor
    return {"actor": actor.name, "role": actor.role.value, "regions": sorted(actor.regions) if actor.regions else None,
            "policy": ctx.policy_path}


def worker_context(requested: dict[str, Any]) -> Context:
    """The context a task runs in: the requesting actor, this worker's store, keys and clock."""
    from callup.environment import context_from_environment

    ctx = context_from_environment(store=False, policy=requested.get("policy"))
    actor = make_actor(requested["actor"], requested["role"], regions=requested.get("regions"))
    return dataclasses.replace(ctx, actor=actor)


def print_batch(requested: dict[str, Any], campaign: str, batch_id: int, out: str, portal_url: str) -> str | None:
    """Print one batch of letters (nothing when it is already printed or claimed by a live worker)."""
    from callup.notices.printing import print_batch_by_id

    return print_batch_by_id(worker_context(requested), campaign, batch_id, out, portal_url)


def defer_print(ctx: Context, campaign: str, batch_ids: list[int], *, out: str, portal_url: str) -> int:
    """Queue one print job per batch; a batch already queued is not queued twice (queueing lock)."""
    app = make_app(ctx.database_url)
    queued = 0
    with app.open():
        for batch_id in batch_ids:
            try:
                app.tasks[PRINT_BATCH].configure(queueing_lock=f"print-batch-{batch_id}").defer(
                    requested=payload(ctx), campaign=campaign, batch_id=batch_id, out=out, portal_url=portal_url)
                queued += 1
            except procrastinate.exceptions.AlreadyEnqueued:
                continue
    return queued


def queue_letters(ctx: Context, campaign: str, *, out: pathlib.Path, region: str | None = None,
                  portal_url: str = "https://portal.example") -> PrintResult:
    """Plan the letters of `campaign` as `callup notices print` does, then queue one job per batch
    still to print for `callup worker` processes (PostgreSQL)."""
    from callup.notices.printing import print_letters

    def enqueue(batch_ids: list[int]) -> int:
        return defer_print(ctx, campaign, batch_ids, out=str(pathlib.Path(out).resolve()), portal_url=portal_url)

    return print_letters(ctx, campaign, out=out, region=region, portal_url=portal_url, enqueue=enqueue)


async def _recover_stalled(app: procrastinate.App, seconds: float) -> int:
    stalled = list(await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=seconds))
    for job in stalled:
        await app.job_manager.retry_job(job)
    return len(stalled)


def run_worker(database_url: str, *, concurrency: int = 1, wait: bool = True, stalled_after: float = STALLED_AFTER) -> int:
    """Run a worker on the store's queue: first put back the jobs of workers that stopped sending
    heartbeats (killed), then work (until the queue is empty when `wait` is False). Returns the
    number of stalled jobs put back."""
    import asyncio

    async def work() -> int:
        app = make_app(database_url)
        async with app.open_async():
            recovered = await _recover_stalled(app, stalled_after)
            await app.run_worker_async(queues=[QUEUE], concurrency=concurrency, wait=wait, install_signal_handlers=wait)
        return recovered

    return asyncio.run(work())
