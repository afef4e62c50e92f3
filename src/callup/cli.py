"""The `callup` command line: one verb per user task.

Each feature folder owns its commands in `<feature>/commands.py`; this module names them and
loads a feature's module only when one of its commands runs, so `callup --help` starts in a
fraction of the time importing everything would take. Domain errors (`CallupError`) end as one
line on stderr and the error's exit code, never a traceback.
"""

from __future__ import annotations

import functools
import importlib
import sys
from typing import Any

import typer
from typer.core import TyperGroup

# name: (module, attribute, one-line help shown by `callup --help`). An attribute that is a
# Typer app is a command group; a function is a single command.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "demo": ("callup.demo", "demo", "Run the main job end to end on a synthetic country."),
    "policy": ("callup.policy.commands", "app", "Policy files: check them, show the rules in force on a date."),
    "register": ("callup.register.commands", "app", "The register: import, statistics, one person, eligibility."),
    "synth": ("callup.register.commands", "synth", "Write a synthetic population register."),
    "questionnaire": ("callup.questionnaire.commands", "app", "The self-declaration questionnaire: send, status, remind, paper forms."),
    "campaign": ("callup.campaigns.commands", "app", "Call-up campaigns: create, freeze, commit, draw, export, replace."),
    "notices": ("callup.notices.commands", "app", "Summonses: issue, print letters, publish, delivery evidence, appearance."),
    "worker": ("callup.jobs.commands", "worker", "Run queued jobs (letters to print) and the daily jobs on a PostgreSQL store."),
    "jobs": ("callup.jobs.commands", "app", "The daily jobs: run what is due (a cron line), what they did."),
    "cases": ("callup.cases.commands", "app", "Case work: medical board, deferrals, exemptions, civilian service, appeals, the queue."),
    "registries": ("callup.cases.registry_commands", "app", "External registries deferral grounds are checked against."),
    "service": ("callup.military_service.commands", "app", "Service: units, induction, transfers, conversion to contract, discharge, the guardrail report."),
    "simulate": ("callup.simulation.commands", "app", "Simulated responses that drive a campaign (rehearsals, demos, tests)."),
    "verify": ("callup.lottery.commands", "verify", "Re-run a published draw from its record and pool file."),
    "lottery": ("callup.lottery.commands", "app", "The public lottery: a person's rank, the seed, test vectors."),
    "fairness": ("callup.lottery.commands", "fairness", "Test any draw for dependence between birth date and number."),
    "plan": ("callup.reports.plan_commands", "app", "Force planning: projection, quotas to reach a target, calibration."),
    "report": ("callup.reports.commands", "app", "Reports: a campaign's report (HTML and PDF), the transparency report."),
    "audit": ("callup.audit.commands", "app", "The tamper-evident audit log: verify, anchor, log."),
    "keys": ("callup.crypto.commands", "app", "Encryption keys of sensitive fields: generate, status, rotate."),
    "db": ("callup.store.commands", "app", "The database: migrations, backups and restores."),
    "retention": ("callup.retention.commands", "app", "Retention of personal data: erase what the policy no longer allows to keep."),
    "serve": ("callup.web.commands", "serve", "Serve the citizens' portal, the officers' console and the JSON API."),
    "users": ("callup.web.commands", "users", "Accounts of the administration: add (password and TOTP), list."),
    "status": ("callup.web.commands", "status", "Signed status documents: public keys, check one offline."),
}


@functools.cache
def _load(name: str) -> Any:
    """The click command of `name`, made once per process: a process that runs many commands (the tests, in
    process) spent some milliseconds each time reading every option's signature again."""
    module, attribute, _ = COMMANDS[name]
    target = getattr(importlib.import_module(module), attribute)
    if isinstance(target, typer.Typer):
        command = typer.main.get_command(target)
    else:
        single = typer.Typer(add_completion=False)
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    _guard_numbers(command)
    return command


#: The largest whole number the store can hold (SQLite INTEGER, PostgreSQL BIGINT).
LARGEST_INTEGER = 2**63 - 1


def _guard_numbers(command: Any) -> None:
    """Every whole-number option fits the store and every decimal one is finite, in every command.

    Without this, `--limit 99999999999999999999` reached the database as an overflow (an internal
    error), and `--alpha nan` reached the statistics. Added to each parameter's callback, so a
    command written tomorrow is guarded too.
    """
    import math
    import types
    import typing

    from typer._click.exceptions import BadParameter

    for sub in getattr(command, "commands", {}).values():
        _guard_numbers(sub)
    for param in getattr(command, "params", []):
        descriptor = getattr(param, "type_descriptor", None)
        kind = getattr(descriptor, "annotation", None)
        if typing.get_origin(kind) in (typing.Union, types.UnionType):
            kind = next((a for a in typing.get_args(kind) if a is not type(None)), None)
        if typing.get_origin(kind) in (list, tuple):
            kind = next(iter(typing.get_args(kind)), None)
        if kind not in (int, float):
            continue

        def check(ctx: Any, param: Any, value: Any, *, inner: Any = param.callback) -> Any:
            for item in value if isinstance(value, (list, tuple)) else [value]:
                if isinstance(item, bool) or item is None:
                    continue
                if isinstance(item, int) and abs(item) > LARGEST_INTEGER:
                    raise BadParameter(f"{item} is too large (at most {LARGEST_INTEGER:,})", ctx=ctx, param=param)
                if isinstance(item, float) and not math.isfinite(item):
                    raise BadParameter(f"{item} is not a finite number", ctx=ctx, param=param)
            return inner(ctx, param, value) if inner is not None else value

        param.callback = check


class LazyGroup(TyperGroup):
    """A command group whose subcommands are imported on first use."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        return _load(cmd_name) if cmd_name in COMMANDS else None

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, help_text) for name, (_, _, help_text) in COMMANDS.items()])


app = typer.Typer(
    name="callup",
    cls=LazyGroup,
    help="Administer compulsory military service: register, policy, campaigns, lottery, planning.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)


@app.callback()
def _root() -> None:
    """Administer compulsory military service: register, policy, campaigns, lottery, planning."""


def _printable(message: str) -> str:
    """One line a terminal shows as written: control and format characters (a line break, an escape
    sequence, a bidirectional override) from user input are shown escaped, not acted upon."""
    import unicodedata

    return "".join(ch if ch == " " or unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp")
                   else ascii(ch)[1:-1] for ch in message)


def _show(exc: Any) -> None:
    from callup.errors import option_name

    message = str(exc)
    field = getattr(exc, "field", None)
    if field and not message.startswith(option_name(field)):
        message = f"{option_name(field)}: {message}"
    sys.stderr.write(f"error: {_printable(message)}\n")


def _usage(exc: Any) -> None:
    """A usage error (unknown option, bad value, missing argument) in one line, with where to read more."""
    message = _printable(exc.format_message().strip())
    command = getattr(getattr(exc, "ctx", None), "command_path", None)
    sys.stderr.write(f"error: {message}" + (f" (see `{command} --help`)" if command else "") + "\n")


def _crash(exc: BaseException) -> None:
    """A bug: one line naming the exception type and where it was raised, not its text (it may hold
    personal data); the traceback when CALLUP_DEBUG is set."""
    import os
    import traceback

    if os.environ.get("CALLUP_DEBUG"):
        traceback.print_exception(exc)
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if "callup" in f.filename] or frames
    where = f" in {own[-1].filename.rsplit('/', 2)[-2:][-1]}:{own[-1].lineno}" if own else ""
    sys.stderr.write(f"error: internal error ({type(exc).__name__}{where}); this is a bug in callup, please report it "
                     "(CALLUP_DEBUG=1 shows the traceback)\n")


def main() -> None:
    """Console entry point: run the app; every error ends as one line on stderr, never a traceback.

    Domain errors (`CallupError`) exit with their code; usage errors 2; a file the operating system
    refuses 2, naming it; anything else is a bug: exit 70, one line, the traceback with CALLUP_DEBUG=1.
    """
    from typer._click import exceptions as click_errors

    from callup.errors import CallupError

    try:
        code = app(standalone_mode=False)
    except CallupError as exc:
        _show(exc)
        sys.exit(exc.exit_code)
    except click_errors.NoArgsIsHelpError as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click_errors.UsageError as exc:
        _usage(exc)
        sys.exit(exc.exit_code)
    except click_errors.ClickException as exc:
        sys.stderr.write(f"error: {_printable(exc.format_message().strip())}\n")
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.stderr.write("error: aborted\n")
        sys.exit(1)
    except BrokenPipeError:  # the reader went away (e.g. `| head`): nothing left to say
        sys.exit(1)
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        sys.exit(130)
    except OSError as exc:
        if exc.filename is None:
            _crash(exc)
            sys.exit(70)
        sys.stderr.write(f"error: {_printable(str(exc.filename))}: {exc.strerror or exc}\n")
        sys.exit(2)
    except Exception as exc:  # noqa: BLE001 - see the docstring
        _crash(exc)
        sys.exit(70)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
