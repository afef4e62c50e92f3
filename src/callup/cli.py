"""The `callup` command line: one verb per user task.

Each feature folder owns its commands in `<feature>/commands.py` and exposes a Typer app;
this module only mounts them and turns `CallupError` into a clear message and exit code.
"""

from __future__ import annotations

import sys

import typer

from callup.errors import CallupError
from callup.output import err_console

app = typer.Typer(
    name="callup",
    help="Administer compulsory military service: register, policy, campaigns, lottery, planning.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _mount() -> None:
    from callup.campaigns import commands as campaign_commands
    from callup.demo import demo
    from callup.lottery import commands as lottery_commands
    from callup.planning import commands as planning_commands
    from callup.policy import commands as policy_commands
    from callup.register import commands as register_commands
    from callup.store import commands as store_commands

    app.command("demo")(demo)
    app.add_typer(policy_commands.app, name="policy")
    app.add_typer(register_commands.app, name="register")
    app.command("synth")(register_commands.synth)
    app.add_typer(store_commands.app, name="db")
    app.add_typer(campaign_commands.app, name="campaign")
    app.add_typer(planning_commands.app, name="plan")
    app.add_typer(lottery_commands.app, name="lottery")
    app.command("verify")(lottery_commands.verify)
    app.command("fairness")(lottery_commands.fairness)
    from callup.audit import commands as audit_commands
    from callup.crypto import commands as key_commands

    app.add_typer(audit_commands.app, name="audit")
    app.add_typer(key_commands.app, name="keys")


_mount()


def main() -> None:
    """Console entry point: run the app, printing domain errors without a traceback."""
    try:
        app()  # standalone: usage errors print themselves and exit 2
    except CallupError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
