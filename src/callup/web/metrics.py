"""Prometheus metrics (prometheus-client): requests by route template, and the store's counts at scrape time.

Served on a port of their own (`callup serve --metrics-port`), never on the public site: the
scraper needs no account, and the site's proxy never exposes them. With several workers,
prometheus-client's multiprocess mode adds up every worker's counts: `callup serve` points
PROMETHEUS_MULTIPROC_DIR at an empty directory before any worker starts, and the metrics server
in the supervising process reads them all. The store's counts (summonses and cases by state,
the job queue by status) are read by that server when scraped, not by the workers.

Labels are route templates (`/status/{reference}`), methods and status codes: never a raw path,
so no reference, id or code ever becomes a label.
"""

from __future__ import annotations

import datetime as dt
import os
import pathlib
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

#: Seconds; the portal's target is p99 under 50 ms, so the buckets are fine below it.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUEST_SECONDS = Histogram("callup_http_request_duration_seconds", "Time to answer a request, by route template",
                            ["method", "route"], buckets=BUCKETS)
RESPONSES = Counter("callup_http_responses", "Responses by route template and status code", ["method", "route", "status"])


_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}  # labelled series, found once: a request pays two updates


def observe(method: str, route: str, status: int, seconds: float) -> None:
    series = _children.get((method, route, status))
    if series is None:
        label = method if method in METHODS else "other"
        series = _children[(method, route, status)] = (REQUEST_SECONDS.labels(label, route),
                                                        RESPONSES.labels(label, route, str(status)))
    series[0].observe(seconds)
    series[1].inc()


class StoreCollector:
    """Gauges read from the store at each scrape: summonses by status, cases by kind and state, jobs by status."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    def describe(self) -> list[Any]:
        return []  # read at scrape time only: registering must not touch the store

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from sqlalchemy import text

        from callup.cases.views import counts_by_kind_and_state
        from callup.notices.reminders import counts_by_state
        from callup.notices.service import counts_by_status
        from callup.store.engine import connect

        summonses = GaugeMetricFamily("callup_summonses", "Summonses by status", labels=["status"])
        cases = GaugeMetricFamily("callup_cases", "Cases by kind and state", labels=["kind", "state"])
        jobs = GaugeMetricFamily("callup_jobs", "Background jobs by status (PostgreSQL stores)", labels=["status"])
        sent = GaugeMetricFamily("callup_reminders", "Reminders by channel and state (GOV.UK Notify's states)",
                                 labels=["channel", "state"])
        daily = GaugeMetricFamily("callup_daily_job_runs", "Runs of the daily jobs by job and state", labels=["job", "state"])
        last = GaugeMetricFamily("callup_daily_job_last_done_timestamp_seconds", "When each daily job last finished a run",
                                 labels=["job"])
        up = GaugeMetricFamily("callup_store_up", "1 when the store answered this scrape")
        engine = connect(self.database_url)
        try:
            with engine.connect() as conn:
                for status, n in counts_by_status(conn).items():
                    summonses.add_metric([status], n)
                for (kind, state), n in counts_by_kind_and_state(conn).items():
                    cases.add_metric([kind, state], n)
                for (channel, state), n in counts_by_state(conn).items():
                    sent.add_metric([channel, state], n)
                # The jobs' own table (the scheduler sits above the web edge: read by name, as the queue's is)
                for job, state, n in conn.execute(text("SELECT job, state, count(*) FROM job_runs GROUP BY job, state")):
                    daily.add_metric([job, state], n)
                for job, at in conn.execute(text("SELECT job, max(finished_at) FROM job_runs WHERE state = 'done' GROUP BY job")):
                    stamp = at if not isinstance(at, str) else dt.datetime.fromisoformat(at)
                    last.add_metric([job], (stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)).timestamp())
                if engine.dialect.name == "postgresql" and conn.execute(
                        text("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")).scalar():
                    for status, n in conn.execute(text("SELECT status, count(*) FROM procrastinate_jobs GROUP BY status")):
                        jobs.add_metric([str(status)], n)
        except Exception:  # noqa: BLE001 - a scrape must answer; the store being down is itself the signal
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield from (up, summonses, cases, jobs, sent, daily, last)


def prepare_multiprocess(directory: pathlib.Path) -> None:
    """Before any worker starts: the workers write their counts under `directory`, emptied of a previous run's."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)


def registry(database_url: str) -> Any:
    """What the metrics port serves: every worker's request metrics and the store's gauges."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    served = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(served)
    else:
        served.register(_ThisProcess())  # one process: its own metrics
    served.register(StoreCollector(database_url))
    return served


class _ThisProcess:
    """This process's request metrics, under a registry of its own (so each served registry has one store)."""

    def describe(self) -> list[Any]:
        return []

    def collect(self) -> Iterable[Any]:
        from prometheus_client import REGISTRY

        return REGISTRY.collect()


def serve(port: int, host: str, database_url: str) -> Any:
    """Start the metrics server in a background thread of this process; returns the HTTP server."""
    from prometheus_client import start_http_server

    server, _thread = start_http_server(port, addr=host, registry=registry(database_url))
    return server
