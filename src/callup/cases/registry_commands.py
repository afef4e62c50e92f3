"""`callup registries ...`: import external registries (e.g. an enrolment list) and list those in force."""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Annotated, Any

import typer

from callup.cli_output import console, emit, when
from callup.cli_support import JsonOption, transaction

app = typer.Typer(help="External registries deferral grounds are checked against.", no_args_is_help=True)


@app.command("import")
def import_(
    name: Annotated[str, typer.Argument(help="Registry name as the policy's grounds name it, e.g. enrolment.")],
    file: Annotated[pathlib.Path, typer.Argument(help="CSV national_id,valid_until[,reference].")],
    rejects: Annotated[pathlib.Path | None, typer.Option("--rejects", help="Where to write rejected rows.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Import a registry file; it replaces the registry's previous import for every check from now on."""
    from callup.cases.registries import import_registry

    with transaction() as uow:
        result = dataclasses.asdict(import_registry(uow, name, file, rejects_path=rejects))

    def render(r: dict[str, Any]) -> None:
        if r["already_imported"]:
            console.print(f"{r['file']}: already imported as registry {r['name']} (import {r['import_id']}); nothing changed")
            return
        console.print(f"registry {r['name']}: import {r['import_id']}: {r['rows']:,} entries, {r['rejected']:,} rejected")
        if r["rejects_file"]:
            console.print(f"rejected rows with their line and reason: {r['rejects_file']}")

    emit(result, as_json=as_json, render=render)


@app.command("list")
def list_(as_json: JsonOption = False) -> None:
    """The import in force of every registry."""
    from callup.cases.registries import list_registries

    with transaction(write=False) as uow:
        rows = [dataclasses.asdict(r) for r in list_registries(uow)]
    emit(rows, as_json=as_json, render=lambda rs: [console.print(
        f"{r['name']}: import {r['import_id']} of {r['source']} ({r['rows']:,} entries) on {when(r['imported_at'])} by {r['imported_by']}")
        for r in rs] or console.print("no registry imported"))
