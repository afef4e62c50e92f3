"""`callup campaign ...`: decree, frozen pool, allocation, commitment, draw, export, replacements."""

from __future__ import annotations

import typer

app = typer.Typer(help="Call-up campaigns: create, freeze, commit, draw, export, replace.", no_args_is_help=True)
