"""`callup db ...`: schema migrations of the store."""

from __future__ import annotations

from typing import Annotated

import typer

from callup.output import console, emit
from callup.store import connect, database_url
from callup.store.migrate import current_revision, head_revision, upgrade as migrate_upgrade

app = typer.Typer(help="The database: migrations (and, with the trust tools, backups).", no_args_is_help=True)

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
