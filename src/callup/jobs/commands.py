"""`callup worker`: run queued jobs (PostgreSQL) until stopped."""

from __future__ import annotations

from typing import Annotated

import typer

from callup.cli_output import console
from callup.cli_support import context


def worker(
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, max=64, help="Jobs run at once by this worker.")] = 1,
    once: Annotated[bool, typer.Option("--once", help="Stop when the queue is empty instead of waiting for more.")] = False,
    stalled_after: Annotated[float, typer.Option("--stalled-after", min=5, max=86400, help="Seconds without a heartbeat after which another worker's running job is taken over.")] = 60,
) -> None:
    """Work through queued jobs (letters to print, ...) on a PostgreSQL store; run as many as you like, anywhere.

    Refuses to start on a schema behind the code's (run `callup db upgrade` first). Jobs of a worker
    that was killed are taken over after a minute without its heartbeat."""
    from callup.jobs.queue import libpq_url, run_worker

    ctx = context(keys=True)
    libpq_url(ctx.database_url)  # refuses SQLite with the reason
    recovered = run_worker(ctx.database_url, concurrency=concurrency, wait=not once, stalled_after=stalled_after)
    if recovered:
        console.print(f"{recovered} stalled job(s) put back in the queue")
