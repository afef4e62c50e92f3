"""Letters printed by `callup worker` processes through the PostgreSQL job queue (procrastinate)."""

from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "campaigns"))

from callup.examples import path as example  # noqa: E402
from callup.jobs.queue import queue_letters  # noqa: E402
from callup.notices import service  # noqa: E402
from callup.notices.tables import NoticeBatch, Summons  # noqa: E402
from callup.uow import UnitOfWork  # noqa: E402
from callup_test_support import POSTGRES_URL, make_context, make_store_url  # noqa: E402
from campaign_helpers import drawn, load_register, on_day  # noqa: E402

pytestmark = [pytest.mark.db, pytest.mark.skipif(POSTGRES_URL is None, reason="the job queue needs PostgreSQL")]
batches, summonses = NoticeBatch.__table__, Summons.__table__


@pytest.fixture
def queued(tmp_path):
    import dataclasses
    import datetime as dt

    from callup.jobs.queue import ensure_schema
    from callup.store import open_store
    from callup.store.service import upgrade_schema

    url, drop = make_store_url("postgres", tmp_path)
    engine = open_store(url)
    ctx = make_context(url)
    upgrade_schema(ctx)  # the deploy step (`callup db upgrade`): our schema and the queue's
    ensure_schema(url)
    load_register(ctx, tmp_path, people=6000)
    drawn(ctx, quota=150, over_call="0")
    day = on_day(ctx, dt.date(2027, 2, 1))
    with UnitOfWork(day) as uow:
        service.issue_summonses(uow, "spring-2027", offices_path=example("offices/republic-of-example.csv"))
    result = queue_letters(day, "spring-2027", out=tmp_path / "letters")
    yield dataclasses.replace(day), engine, result
    engine.dispose()
    drop()


def _worker(url: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "CALLUP_DATABASE_URL": url, "CALLUP_NOW": "2027-02-01T09:00:00Z"}
    return subprocess.Popen([sys.executable, "-m", "callup.cli", "worker", "--once", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _check_printed_once(engine, tmp_path) -> None:  # noqa: ANN001
    with engine.connect() as conn:
        statuses = dict(conn.execute(select(batches.c.status, func.count()).group_by(batches.c.status)).all())
        unprinted = conn.execute(select(func.count()).where(summonses.c.printed_at.is_(None))).scalar_one()
        letters = conn.execute(select(func.sum(batches.c.letters))).scalar_one()
        issued = conn.execute(select(func.count()).select_from(summonses)).scalar_one()
    assert {getattr(k, "value", k): v for k, v in statuses.items()}.keys() == {"printed"}
    assert unprinted == 0 and letters == issued
    manifests = sorted((tmp_path / "letters").glob("*.csv"))
    references = [line.split(",")[0] for m in manifests for line in m.read_text().splitlines()[1:]]
    assert len(references) == len(set(references)) == issued


def test_two_workers_drain_the_queue_and_print_each_batch_once(queued, tmp_path):
    ctx, engine, result = queued
    assert result.queued > 1
    again = queue_letters(ctx, "spring-2027", out=tmp_path / "letters")
    assert again.queued == 0  # a batch already queued is not queued twice
    workers = [_worker(ctx.database_url) for _ in range(2)]
    for w in workers:
        _, err = w.communicate(timeout=300)
        assert w.returncode == 0, err
    _check_printed_once(engine, tmp_path)


def test_a_worker_killed_mid_way_leaves_work_that_the_next_worker_finishes(queued, tmp_path):
    ctx, engine, result = queued
    first = _worker(ctx.database_url)
    deadline = time.monotonic() + 120
    with engine.connect() as conn:  # wait until the worker is rendering a batch, then kill it
        while conn.execute(select(func.count()).where(batches.c.status == "printing")).scalar_one() == 0:
            conn.rollback()
            assert time.monotonic() < deadline, "the worker printed nothing"
            assert first.poll() is None, first.communicate()[1]
            time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait()
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).where(batches.c.status == "printing")).scalar_one() == 1
    time.sleep(6)  # the killed worker's heartbeat must be older than --stalled-after for its job to be retried
    second = _worker(ctx.database_url, "--stalled-after", "5")
    out, err = second.communicate(timeout=300)
    assert second.returncode == 0, err
    assert "1 stalled job(s) put back in the queue" in out
    _check_printed_once(engine, tmp_path)
