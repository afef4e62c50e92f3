"""What every command module shares: common options and the context of the invocation.

Command modules import only this, `typer` and `callup.output` at the top; services are imported
inside the command functions, so `callup --help` loads none of them.
"""

from __future__ import annotations

import pathlib
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from callup.context import Context

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
PolicyOption = Annotated[pathlib.Path | None, typer.Option("--policy", help="Policy file; default $CALLUP_POLICY or the bundled example.")]


def context(*, policy: pathlib.Path | None = None, store: bool = True, keys: bool = True) -> Context:
    """The context of this command (see `callup.cli_context`)."""
    from callup.cli_context import cli_context

    return cli_context(policy=policy, store=store, keys=keys)
