"""`callup audit ...`: verify the chain, export an anchor, list who did what to a person."""

from __future__ import annotations

import json
import pathlib
from typing import Annotated, Any

import typer
from rich.table import Table

from callup.cli_output import console, emit, err_console
from callup.cli_support import JsonOption, context

app = typer.Typer(help="The tamper-evident audit log: verify, anchor, log.", no_args_is_help=True)



@app.command()
def verify(
    anchor_file: Annotated[pathlib.Path | None, typer.Option("--anchor", help="A published anchor (from `audit anchor --out`) the chain must still contain.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Check every entry's hash and link; name the first edited, deleted, inserted or reordered entry. Exit 1 if bad."""
    from callup.audit.chain import load_anchor, verify as run

    anchor = load_anchor(anchor_file) if anchor_file else None
    result = run(context(keys=False).engine(), anchor=anchor)

    def render(d: dict[str, Any]) -> None:
        if d["ok"]:
            console.print(f"audit log verified: {d['count']:,} entries, head {d['head_hash']}"
                          + (f"; contains the anchor at entry {d['anchor']['count']:,}" if d["anchor"] else ""))
        else:
            err_console.print(f"[bold red]audit log does not verify:[/] {d['problem']}", highlight=False)

    emit(result.__dict__, as_json=as_json, render=render)
    if not result.ok:
        raise typer.Exit(1)


@app.command()
def anchor(
    out: Annotated[pathlib.Path | None, typer.Option("--out", help="Write the anchor JSON to this file, for publication.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Export the head hash, entry count and time of the verified chain, for publication."""
    from callup.audit.chain import publish_anchor
    from callup.file_output import check_file, write_text

    if out is not None:
        check_file(out, field="out")
    ctx = context(keys=False)
    data = publish_anchor(ctx)
    if out is not None:
        write_text(out, json.dumps(data, indent=2) + "\n", field="out", private=False)  # an anchor is for publication
    emit(data, as_json=as_json, render=lambda d: console.print(
        f"head {d['head_hash']} after {d['count']:,} entries at {d['time']}" + (f"; written to {out}" if out else "")))


@app.command()
def log(
    person: Annotated[str | None, typer.Option("--person", help="National id: who did what to or with this person's record.")] = None,
    target: Annotated[str | None, typer.Option("--target", help="Exact target, e.g. campaign:spring-2027 or import:3.")] = None,
    action: Annotated[str | None, typer.Option("--action", help="Only this action, e.g. person.read.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the most recent N entries.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List audit entries (oldest first), filtered by person, target or action."""
    from callup.audit.chain import read_log

    found = read_log(context(keys=False), person_id=person, target=target, action=action, limit=limit)
    data = [e.__dict__ for e in found]

    def render(rows: list[dict[str, Any]]) -> None:
        table = Table("#", "time (UTC)", "actor", "role", "action")
        for name in ("target", "reason", "details"):  # long values wrap, never cut ("fold" breaks JSON without spaces)
            table.add_column(name, overflow="fold")
        for e in rows:
            table.add_row(str(e["seq"]), e["at"][:19].replace("T", " "), e["actor"], e["role"], e["action"], e["target"],
                          e["reason"] or "", json.dumps(e["details"], ensure_ascii=False))
        console.print(table)
        if not rows:
            console.print("no entries")

    emit(data, as_json=as_json, render=render)
