"""Example jurisdictions, scenarios, offices and data sets, installed with callup as `callup.examples`.

`callup.examples.path("policies/republic-of-example.toml")` finds a file whether callup runs
from a clone or from an installed wheel.
"""

from __future__ import annotations

import pathlib

HERE = pathlib.Path(__file__).resolve().parent


def path(relative: str) -> pathlib.Path:
    """The example file at `relative` (e.g. "scenarios/seed-36-months.toml")."""
    return HERE / relative
