"""Probes for the operators' load balancer and orchestrator: `/healthz` and `/readyz`.

`/healthz` says the worker's event loop answers (it touches nothing else), so a failing store
does not get every worker restarted. `/readyz` says this worker can serve: the store answers,
its schema is at this callup's head, the keys are loaded, and the job queue's tables are there
(PostgreSQL stores only: on SQLite commands run their own jobs); it also says whether the read
replica is read (ok, lagging, unreachable) and whether the worker hears the store's notices of
change (listening, or not: then each request asks the store), which never make a worker unready. Both answer JSON, 200 or 503,
need no sign-in, read no personal data (so nothing is audited) and are never cached.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(include_in_schema=False)
NO_STORE = {"cache-control": "no-store"}


@router.get("/healthz")
def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"}, headers=NO_STORE)


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    web = request.app.state.web
    checks = readiness(web)
    ready = all(value in ("ok", "not configured") for value in checks.values())
    # Shown, never counted against readiness: without the replica the primary serves its reads, and
    # without the store's notices every request asks the store (session_marks.py).
    checks["replica"] = web.replica.status() if web.replica is not None else "not configured"
    checks["notices"] = web.marks.status() if web.marks is not None else "not configured"
    return JSONResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status_code=200 if ready else 503,
                        headers=NO_STORE)


def readiness(web: Any) -> dict[str, str]:
    """Each check's outcome: "ok", "not configured", or what is wrong in a few words (never a driver's message)."""
    from sqlalchemy import text

    from callup.store.migrate import SCHEMA_HEAD

    keys = web.settings.keys
    checks = {"store": "unreachable", "schema": "unknown",
              "keys": "ok" if keys is not None and keys.current in keys.keys else "missing",
              "queue": "not configured"}
    postgres = web.engine.dialect.name == "postgresql"
    try:
        with web.read_engine.connect() as conn:
            checks["store"] = "ok"
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            checks["schema"] = "ok" if revision == SCHEMA_HEAD else f"at {revision or '(empty)'}, needs {SCHEMA_HEAD}"
            if postgres:
                present = conn.execute(text("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")).scalar()
                checks["queue"] = "ok" if present else "tables missing (run callup db upgrade)"
    except Exception:  # noqa: BLE001 - any failure means not ready; the driver's message may name hosts or users
        if checks["store"] == "ok":
            checks["schema"] = "unreadable" if checks["schema"] == "unknown" else checks["schema"]
        if postgres and checks["queue"] == "not configured":
            checks["queue"] = "unknown"
    return checks
