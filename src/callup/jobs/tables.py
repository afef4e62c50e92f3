"""The record of the daily jobs: one row per job and day, claimed before the work starts, so a
second `callup jobs run-due` (or a second worker) on the same day finds it and does nothing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from callup.errors import StateError
from callup.statemachine import Machine
from callup.store.base import Base

#: A daily job's run for one day: claimed (running), then done or failed; a failed run, or one whose
#: runner died (stale), is claimed again by the next runner; a done run is never run again.
JOB_RUN = Machine("daily job run", {
    ("running", "finish"): "done",
    ("running", "fail"): "failed",
    ("running", "claim"): "running",  # taken over from a runner that is gone
    ("failed", "claim"): "running",
}, final=frozenset({"done"}), error=StateError)


class JobRun(Base):
    __tablename__ = "job_runs"

    job: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True, comment="the jurisdiction's day the run is for")
    state: Mapped[str] = mapped_column(String(16), comment="running, done or failed")
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    runner: Mapped[str] = mapped_column(String(128), comment="the process that claimed it (host and pid)")
    result: Mapped[str | None] = mapped_column(Text, comment="JSON: what it did (counts, never personal data)")
