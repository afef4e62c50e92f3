"""`callup db ...`: schema migrations of the store."""

from __future__ import annotations

import pathlib
from typing import Annotated

import typer

from callup.output import console, emit
from callup.store import connect, database_url, open_store
from callup.store.migrate import current_revision, head_revision, upgrade as migrate_upgrade

app = typer.Typer(help="The database: migrations, backups and restores.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


@app.command()
def upgrade(as_json: JsonOption = False) -> None:
    """Create or migrate the schema of the configured database to the latest revision."""
    engine = connect()
    before = current_revision(engine)
    migrate_upgrade(engine)
    data = {"database": engine.url.render_as_string(hide_password=True), "from": before, "to": head_revision()}
    emit(data, as_json=as_json, render=lambda d: console.print(f"{d['database']}: schema {d['from'] or '(empty)'} -> {d['to']}"))


@app.command()
def current(as_json: JsonOption = False) -> None:
    """Show the configured database and its schema revision."""
    engine = connect()
    data = {"database": engine.url.render_as_string(hide_password=True), "revision": current_revision(engine),
            "head": head_revision(), "configured_by": "CALLUP_DATABASE_URL" if database_url() != "sqlite:///callup.db" else "default"}
    emit(data, as_json=as_json, render=lambda d: console.print(f"{d['database']}: revision {d['revision']} (latest {d['head']})"))


@app.command()
def backup(
    file: Annotated[pathlib.Path, typer.Argument(help="Backup file to write (a tar archive with a manifest).")],
    as_json: JsonOption = False,
) -> None:
    """Write a consistent backup of the store, even while it is in use (SQLite backup API / pg_dump snapshot)."""
    from callup.store.backup import backup as run

    report = run(open_store(), file)
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
    from callup.store.backup import read_manifest, restore as run

    manifest = read_manifest(file)
    engine = connect()
    if not yes and not typer.confirm(f"replace the content of {engine.url.render_as_string(hide_password=True)} "
                                     f"with the backup of {manifest['time']}?"):
        raise typer.Abort()
    report = run(engine, file)
    emit(report.__dict__, as_json=as_json, render=lambda d: console.print(
        f"restored {d['file']}: {sum(d['tables'].values()):,} rows in {len(d['tables'])} tables and audit head entry "
        f"{d['audit_count']:,} match the backup; audit chain verified"))
