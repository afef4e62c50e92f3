"""Run bulk database work where its driver may safely open the database.

The bulk paths use ADBC, whose SQLite driver carries its own copy of the SQLite library. Two
copies of SQLite in one process break each other's file locks (closing a file in one drops the
POSIX locks of the other: the "multiple copies of SQLite" hazard of SQLite's own documentation),
which we saw as "disk I/O error". So on SQLite a bulk job runs in a fresh child process that
opens the file with ADBC only; on PostgreSQL it runs in-process.

The children are forked from a server process (multiprocessing's "forkserver") that imports
the first job's module once, so a command (or a test run) with many jobs pays Python's start-up
once, not per job. Each child takes the caller's current environment and working directory, as
a freshly started process would, and dies with the caller: it holds the reading end of a pipe
only the caller writes to, and kills itself when that pipe closes (and with PR_SET_PDEATHSIG
when the server ends). So killing the command kills the job, and every job is written to be
re-run: it commits in steps that each leave the store consistent.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from callup.errors import StateError

T = TypeVar("T")


class JobDied(StateError):
    """A bulk job's process ended without a result (killed, out of memory)."""


def _inner(job: Callable[..., Any], args: tuple) -> Callable[..., Any]:
    """The job itself: `run_job` hands `_in_context` the job as its first argument."""
    return args[0] if job is _in_context and args else job


def _job_name(job: Callable[..., Any], args: tuple) -> str:
    return getattr(_inner(job, args), "__name__", "job").strip("_")


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
    context = forkserver(getattr(_inner(job, args), "__module__", __name__))
    messages = context.Queue()
    caller_alive, alive = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(messages, caller_alive, dict(os.environ), os.getcwd(), job, url, args, kwargs),
                            daemon=True, name="callup-bulk")
    child.start()
    caller_alive.close()
    try:
        while True:
            try:
                kind, value = messages.get(timeout=0.5)
            except queue.Empty:
                if not child.is_alive():
                    raise JobDied(f"the bulk job ({_job_name(job, args)}) was stopped before it finished (exit code "
                                  f"{child.exitcode}); nothing it did is half-applied: run the command again") from None
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
        alive.close()


def run_job(ctx: Any, job: Callable[..., T], *args: Any, advance: Advance = lambda n: None, **kwargs: Any) -> T:
    """Call `job(ctx, *args, advance=..., **kwargs)` as a bulk job of the context's store.

    The job gets the whole context (actor, clock, keys), with the context's keys active, so
    what it records and encrypts is the same as in the command that started it.
    """
    return run_bulk(ctx.database_url, _in_context, job, ctx, *args, advance=advance, **kwargs)


def _in_context(url: str, job: Callable[..., T], ctx: Any, *args: Any, advance: Advance, **kwargs: Any) -> T:
    from callup.crypto.keys import use_keys

    with use_keys(ctx.keys):
        return job(ctx, *args, advance=advance, **kwargs)


def preload(*modules: str) -> None:
    """Have the forkserver also import `modules` before it forks, when called before the first bulk job.

    A process that runs many kinds of bulk job (a test run) names their modules here, so that each
    child finds them imported instead of importing them again (about half a second a job).
    """
    _preloaded.extend(m for m in modules if m not in _preloaded)


def forkserver(*modules: str) -> Any:
    """multiprocessing's forkserver context; the first call names the modules the server imports before it forks:
    those given to `preload`, `modules` (the first caller's: a bulk job's module), and what every bulk child needs."""
    global _server_named
    context = multiprocessing.get_context("forkserver")
    if not _server_named:
        # Every child opens the file with ADBC: its driver and Arrow's modules come imported (about 10 ms a job).
        preload(__name__, *_EVERY_CHILD, *modules)
        context.set_forkserver_preload(list(_preloaded))
        _server_named = True
    return context


_EVERY_CHILD = ("adbc_driver_sqlite.dbapi", "pyarrow.compute")  # the driver brings pyarrow.dataset
_preloaded: list[str] = []
_server_named = False


def _die_with_caller(caller_alive: Any) -> None:
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except OSError:
            pass

    def watch() -> None:
        try:
            caller_alive.recv_bytes()  # nothing is ever sent: returns only when the caller's end closes
        except (EOFError, OSError):
            pass
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, daemon=True, name="callup-bulk-watch").start()


def _child(messages: Any, caller_alive: Any, environ: dict[str, str], cwd: str, job: Callable[..., Any], url: str,
           args: tuple, kwargs: dict) -> None:
    _die_with_caller(caller_alive)
    os.environ.clear()
    os.environ.update(environ)
    os.chdir(cwd)
    try:
        result = job(url, *args, advance=lambda n: messages.put(("advance", n)), **kwargs)
    except BaseException as exc:  # handed to the parent, which re-raises it
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:  # noqa: BLE001 - some driver errors do not pickle, or not back
            exc = RuntimeError(f"{type(exc).__name__}: {exc}")
        messages.put(("error", exc))
    else:
        messages.put(("result", result))
