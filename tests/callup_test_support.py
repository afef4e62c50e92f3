"""Constants and helpers shared by the test folders (a uniquely named module, importable from any of them)."""

from __future__ import annotations

import os
import pathlib
import uuid

import pytest
from sqlalchemy import create_engine, text

REPO = pathlib.Path(__file__).resolve().parents[1]
EXAMPLE_POLICY = REPO / "examples" / "policies" / "republic-of-example.toml"
NORTHLAND_POLICY = REPO / "examples" / "policies" / "kingdom-of-northland.toml"
LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _postgres_url() -> str | None:
    url = os.environ.get("CALLUP_TEST_POSTGRES_URL") or LOCAL_POSTGRES
    try:
        probe = create_engine(url, connect_args={"connect_timeout": 3})
        with probe.connect() as conn:
            conn.execute(text("SELECT 1"))
        probe.dispose()
        return url
    except Exception as exc:  # noqa: BLE001 - any failure means "no server"
        if os.environ.get("CI") or os.environ.get("CALLUP_TEST_POSTGRES_URL"):
            raise RuntimeError(f"PostgreSQL is required for the test suite here but {url} does not answer: {exc}") from exc
        return None


POSTGRES_URL = _postgres_url()
#: The stores a database test runs on; each run is marked `db` (and `postgres`), so `-m "not db"` leaves them out.
BACKENDS = [pytest.param("sqlite", marks=pytest.mark.db),
            pytest.param("postgres", marks=[pytest.mark.db, pytest.mark.postgres,
                                            pytest.mark.skipif(POSTGRES_URL is None, reason="no PostgreSQL server")])]


def make_store_url(backend: str, tmp_path: pathlib.Path) -> tuple[str, callable]:
    """A URL for a new, empty store on `backend`, and a function that removes it."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'callup.db'}", lambda: None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    url = f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return url, drop




def make_context(url: str, *, role: str = "administrator", name: str = "test-admin", regions: str | None = None,
                 person_id: str | None = None, policy: pathlib.Path = EXAMPLE_POLICY, now=None, random=None):  # noqa: ANN001
    """A Context on the store at `url`, with the keys of the test's environment and a fixed or system clock."""
    import datetime as dt

    from callup.context import Context, FixedClock, SystemClock, make_actor, secure_random
    from callup.crypto.keys import load_keyring

    actor = make_actor(name, role, regions=regions, person_id=person_id)
    clock = FixedClock(now if isinstance(now, dt.datetime) else dt.datetime.fromisoformat(f"{now}T09:00:00+00:00")) if now else SystemClock()
    return Context(actor=actor, database_url=url, clock=clock, random=random or secure_random, keys=load_keyring(os.environ),
                   policy_path=str(policy))


def run_cli(args: list[str], *, input: str | bytes | None = "", env: dict[str, str] | None = None) -> tuple[int, str, str, BaseException | None]:
    """Run the `callup` console entry point in this process: (exit code, stdout, stderr, uncaught exception).

    An uncaught exception is what the installed command would show as a traceback.
    """
    import sys

    from click.testing import CliRunner

    from callup import cli

    runner = CliRunner()
    uncaught = None
    with runner.isolation(input=input, env=env) as (out, err, _):
        argv = sys.argv
        sys.argv = ["callup", *args]
        try:
            cli.main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException as exc:  # noqa: BLE001 - a traceback of the real command
            code, uncaught = 1, exc
        finally:
            sys.argv = argv
            sys.stdout.flush()
            sys.stderr.flush()
        stdout, stderr = out.getvalue().decode("utf-8", "replace"), err.getvalue().decode("utf-8", "replace")
    return code, stdout, stderr, uncaught


def at_appointment(ctx, reference: str):  # noqa: ANN001, ANN201
    """`ctx` standing at the end of summons `reference`'s appointment, once the summons is delivered (published if
    need be, then acknowledged at the counter): when its appearance may be recorded."""
    import dataclasses
    import datetime as dt

    from callup.context import FixedClock
    from callup.notices import service as notices
    from callup.uow import UnitOfWork

    with UnitOfWork(ctx) as uow:
        view = notices.view(uow, reference)
        if view.status == "created":
            notices.publish_notices(uow, view.campaign)
        if view.status not in ("delivered", "acknowledged"):
            view = notices.acknowledge(uow, reference, evidence="acknowledged at the counter")
    end = dt.datetime.combine(view.date, view.end, tzinfo=dt.UTC)
    return dataclasses.replace(ctx, clock=FixedClock(max(end, ctx.now())))
