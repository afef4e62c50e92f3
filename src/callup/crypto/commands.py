"""`callup keys ...`: generate encryption keys, see which key encrypts what, rotate."""

from __future__ import annotations

import pathlib
from typing import Annotated, Any

import typer

from callup.cli_output import console, emit, progress
from callup.cli_support import JsonOption, context

app = typer.Typer(help="Encryption keys of sensitive fields: generate, status, rotate.", no_args_is_help=True)



@app.command()
def generate(
    out: Annotated[pathlib.Path, typer.Option("--out", help="Key file to create, or to add a new current key to.")],
    as_json: JsonOption = False,
) -> None:
    """Add a new random AES-256 key to a key file (created if absent, mode 0600) and make it current.

    Old keys stay in the file so existing values still decrypt; run `callup keys rotate` next.
    """
    from callup.crypto.keys import generate_key_file

    key_id, count = generate_key_file(out)
    emit({"file": str(out), "current": key_id, "keys": count}, as_json=as_json,
         render=lambda d: console.print(f"{d['file']}: new current key {d['current']} ({d['keys']} key(s) in the file)"))


@app.command()
def status(as_json: JsonOption = False) -> None:
    """How many stored values each key encrypts, per encrypted column."""
    from callup.crypto.rotate import key_usage

    ctx = context()
    ring = ctx.keyring()
    data = {"current": ring.current, "source": ring.source,
            "columns": [{"column": u.column, "by_key": u.by_key} for u in key_usage(ctx)]}

    def render(d: dict[str, Any]) -> None:
        console.print(f"current key {d['current']} (from {d['source']})")
        for c in d["columns"]:
            console.print(f"  {c['column']}: " + (", ".join(f"{k} {n:,}" for k, n in c["by_key"].items()) or "no values"))

    emit(data, as_json=as_json, render=render)


@app.command()
def rotate(
    batch: Annotated[int, typer.Option("--batch", min=1, max=1_000_000, help="Rows per transaction (1 to 1,000,000).")] = 1000,
    as_json: JsonOption = False,
) -> None:
    """Re-encrypt every encrypted value to the current key (resumable: run again after an interruption)."""
    from callup.crypto.rotate import rotate as run

    ctx = context()
    with progress("re-encrypting", None, quiet=as_json) as advance:
        report = run(ctx, batch=batch, advance=advance)
    emit(report.__dict__, as_json=as_json,
         render=lambda d: console.print(f"{d['values_reencrypted']:,} of {d['values_total']:,} values re-encrypted to key "
                                        f"{d['key_id']} in {', '.join(d['columns'])}"))
