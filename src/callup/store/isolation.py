"""Run bulk database work where its driver may safely open the database.

The bulk paths use ADBC, whose SQLite driver carries its own copy of the SQLite library. Two
copies of SQLite in one process break each other's file locks (closing a file in one drops the
POSIX locks of the other: the "multiple copies of SQLite" hazard of SQLite's own documentation),
which we saw as "disk I/O error". So on SQLite a bulk job runs in a fresh child process that
opens the file with ADBC only; on PostgreSQL it runs in-process.

The child dies with its parent (PR_SET_PDEATHSIG), so killing the command kills the job, and
every job is written to be re-run: it commits in steps that each leave the store consistent.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import pickle
import queue
import signal
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

T = TypeVar("T")
Advance = Callable[[int], None]


def bulk_url(engine: Engine) -> str:
    """The engine's URL with its password, to hand to a bulk job (which opens its own connection)."""
    return engine.url.render_as_string(hide_password=False)


def run_bulk(url: str, job: Callable[..., T], *args: Any, advance: Advance = lambda n: None, **kwargs: Any) -> T:
    """Call `job(url, *args, advance=..., **kwargs)`, in a child process when `url` is SQLite.

    `job` must be a module-level function; its arguments and result must pickle. Exceptions
    raised by the job are raised here.
    """
    if make_url(url).get_backend_name() != "sqlite":
        return job(url, *args, advance=advance, **kwargs)
    context = multiprocessing.get_context("spawn")
    messages = context.Queue()
    child = context.Process(target=_child, args=(messages, job, url, args, kwargs), daemon=True, name="callup-bulk")
    child.start()
    try:
        while True:
            try:
                kind, value = messages.get(timeout=0.5)
            except queue.Empty:
                if not child.is_alive():
                    raise RuntimeError(f"bulk job {job.__name__} ended without a result (exit code {child.exitcode})") from None
                continue
            if kind == "advance":
                advance(value)
            elif kind == "result":
                return value
            else:
                raise value
    finally:
        child.join(timeout=10)
        if child.is_alive():
            child.kill()


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except OSError:
            pass


def _child(messages: Any, job: Callable[..., Any], url: str, args: tuple, kwargs: dict) -> None:
    _die_with_parent()
    try:
        result = job(url, *args, advance=lambda n: messages.put(("advance", n)), **kwargs)
    except BaseException as exc:  # handed to the parent, which re-raises it
        try:
            pickle.dumps(exc)
        except Exception:  # noqa: BLE001 - some driver errors do not pickle
            exc = RuntimeError(f"{type(exc).__name__}: {exc}")
        messages.put(("error", exc))
    else:
        messages.put(("result", result))
