"""Print batches claimed by live workers only: a killed worker's batch is printed by the next run at once,
its half-written files removed, and every printed batch has one audit entry."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import pathlib
import sys

from sqlalchemy import func, select, update

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "campaigns"))

from callup import audit  # noqa: E402
from callup.examples import path as example  # noqa: E402
from callup.notices import claims, service  # noqa: E402
from callup.notices.printing import plan_batches, print_letters  # noqa: E402
from callup.notices.tables import BatchStatus, NoticeBatch, Summons  # noqa: E402
from callup.uow import UnitOfWork  # noqa: E402
from campaign_helpers import drawn, load_register, on_day  # noqa: E402

batches, summonses = NoticeBatch.__table__, Summons.__table__


def _planned(ctx, tmp_path):  # noqa: ANN001, ANN202
    load_register(ctx, tmp_path, people=6000)
    drawn(ctx, quota=120, over_call="0")
    day = on_day(ctx, dt.date(2027, 2, 1))
    with UnitOfWork(day) as uow:
        service.issue_summonses(uow, "spring-2027", offices_path=example("offices/republic-of-example.csv"))
        plan_batches(uow, "spring-2027")
    return day


def _batches(engine):  # noqa: ANN001, ANN202
    with engine.connect() as conn:
        return conn.execute(select(batches).order_by(batches.c.id)).mappings().all()


def test_a_batch_left_printing_by_a_killed_worker_is_printed_by_the_next_run_at_once(ctx, engine, tmp_path):
    day = _planned(ctx, tmp_path)
    out = tmp_path / "letters"
    out.mkdir()
    dead = _batches(engine)[0]
    with engine.begin() as conn:  # what a worker killed while rendering leaves: a fresh claim and half files
        conn.execute(update(batches).where(batches.c.id == dead["id"]).values(status=BatchStatus.printing, claimed_at=day.now()))
    stem = f"spring-2027-{dead['region']}-{dead['seq']:04d}"
    for name in (f"{stem}.pdf.part", f"{stem}.csv.part"):
        (out / name).write_bytes(b"half")
    result = print_letters(day, "spring-2027", out=out)
    every = _batches(engine)
    assert result.batches_printed == len(every) and str(out / f"{stem}.pdf") in result.files
    assert {getattr(b["status"], "value", b["status"]) for b in every} == {"printed"}
    assert list(out.glob("*.part")) == []
    entries = audit.entries(engine, action="notices.print")
    assert len(entries) == len(every)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).where(summonses.c.printed_at.is_(None))).scalar_one() == 0


def _hold(ctx, batch_id, held, release):  # noqa: ANN001, ANN202 - runs in a child process
    with claims.hold(ctx, batch_id) as mine:
        held.put(mine)
        release.wait(60)


def test_a_batch_held_by_a_live_worker_is_left_to_it(ctx, engine, tmp_path):
    day = _planned(ctx, tmp_path)
    busy = _batches(engine)[-1]
    spawn = multiprocessing.get_context("spawn")
    held, release = spawn.Queue(), spawn.Event()
    worker = spawn.Process(target=_hold, args=(day, busy["id"], held, release))
    worker.start()
    try:
        assert held.get(timeout=60) is True
        first = print_letters(day, "spring-2027", out=tmp_path / "letters")
        assert first.batches_printed == len(_batches(engine)) - 1
        left = _batches(engine)[-1]["status"]
        assert getattr(left, "value", left) == "planned"
    finally:
        release.set()
        worker.join(60)
    second = print_letters(day, "spring-2027", out=tmp_path / "letters")  # the worker is gone: its batch is taken
    assert second.batches_printed == 1
    assert len(audit.entries(engine, action="notices.print")) == len(_batches(engine))
