"""`callup db ...`: schema migrations of the store."""

from __future__ import annotations

import pathlib
from typing import Annotated

import typer

from callup.cli_output import console, emit
from callup.cli_support import JsonOption, context

app = typer.Typer(help="The database: migrations, backups and restores.", no_args_is_help=True)


@app.command()
def upgrade(as_json: JsonOption = False) -> None:
    """Create or migrate the schema of the configured database to the latest revision (a deploy step)."""
    from callup.store import service

    ctx = context(store=False, keys=False)
    before, after = service.upgrade_schema(ctx)
    if service.on_postgresql(ctx):  # the job queue's tables live in the same database
        from callup.jobs.queue import ensure_schema

        ensure_schema(ctx.database_url)
    data = {"database": service.database_label(ctx), "from": before, "to": after}
    emit(data, as_json=as_json, render=lambda d: console.print(f"{d['database']}: schema {d['from'] or '(empty)'} -> {d['to']}"))


@app.command()
def current(as_json: JsonOption = False) -> None:
    """Show the configured database and its schema revision."""
    import dataclasses

    from callup.store import service

    data = dataclasses.asdict(service.schema_status(context(store=False, keys=False)))
    emit(data, as_json=as_json, render=lambda d: console.print(f"{d['database']}: revision {d['revision']} (latest {d['head']})"))


@app.command()
def backup(
    file: Annotated[pathlib.Path, typer.Argument(help="Backup file to write (a tar archive with a manifest).")],
    as_json: JsonOption = False,
) -> None:
    """Write a consistent backup of the store, even while it is in use (SQLite backup API / pg_dump snapshot)."""
    from callup.store import service

    report = service.backup_store(context(), file)
    emit(report.__dict__, as_json=as_json, render=lambda d: console.print(
        f"backup of {d['backend']} store (schema {d['revision']}) written to {d['file']}: "
        f"{sum(d['tables'].values()):,} rows in {len(d['tables'])} tables, audit head entry {d['audit_count']:,} {d['audit_head'][:16]}..."))


@app.command()
def restore(
    file: Annotated[pathlib.Path, typer.Argument(help="Backup file written by `callup db backup`.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask before replacing the store's content.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Replace the store's content with a backup, then verify row counts, the audit head and the audit chain."""
    from callup.store import service

    ctx = context(store=False)

    def confirm(taken: str) -> bool:
        if yes:
            return True
        try:
            return typer.confirm(f"replace the content of {service.database_label(ctx)} with the backup of {taken}?")
        except (typer.Abort, EOFError):  # no answer (standard input closed)
            return False

    report = service.restore_store(ctx, file, confirm=confirm)
    emit(report.__dict__, as_json=as_json, render=lambda d: console.print(
        f"restored {d['file']}: {sum(d['tables'].values()):,} rows in {len(d['tables'])} tables and audit head entry "
        f"{d['audit_count']:,} match the backup; audit chain verified"))
