"""What every command module shares: common options and the context of the invocation.

Command modules import only this, `typer` and `callup.cli_output` at the top; services are imported
inside the command functions, so `callup --help` loads none of them.
"""

from __future__ import annotations

import datetime as dt
import functools
import pathlib
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, overload

import typer

if TYPE_CHECKING:
    from callup.context import Context
    from callup.uow import UnitOfWork

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
PolicyOption = Annotated[pathlib.Path | None, typer.Option("--policy", help="Policy file; default $CALLUP_POLICY or the bundled example.")]


def context(*, policy: pathlib.Path | None = None, store: bool = True, keys: bool = True) -> Context:
    """The context of this command, from the environment (see `callup.environment`)."""
    from callup.environment import context_from_environment

    return context_from_environment(policy=policy, store=store, keys=keys)


def transaction(*, write: bool = True) -> UnitOfWork:
    """The command's one unit of work on its context: `with transaction() as uow: ...` commits on success."""
    from callup.uow import UnitOfWork

    return UnitOfWork(context(), write=write)


def parse_date(value: str, *, option: str) -> dt.date:
    """A date option's value (YYYY-MM-DD); an `InputError` naming the option otherwise.

    There is no implicit today: a command defaulting to today asks its context (`ctx.today()`),
    whose clock `CALLUP_NOW` and `CALLUP_TIMEZONE` set.
    """
    from callup.errors import InputError

    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option}: {value!r} is not a date (expected YYYY-MM-DD)") from None


@overload
def date_option(value: str, option: str) -> dt.date: ...
@overload
def date_option(value: str | None, option: str) -> dt.date | None: ...


def date_option(value: str | None, option: str) -> dt.date | None:
    """A date option's value; None only when the option was not given (an empty value is an error)."""
    return None if value is None else parse_date(value, option=option)


def keep_old_name(app: typer.Typer, old: str, *, new: str, command: Callable[..., Any]) -> None:
    """Keep the renamed `command` answering to its old name in `app` (hidden from the help), with a
    notice on stderr naming the new one, so scripts written for the old name go on working."""
    group_and_old = old.split()

    @functools.wraps(command)
    def alias(*args: Any, **kwargs: Any) -> Any:
        sys.stderr.write(f"note: `callup {old}` is now `callup {new}`; the old name will be removed in a later release\n")
        return command(*args, **kwargs)

    app.command(group_and_old[-1], hidden=True)(alias)
