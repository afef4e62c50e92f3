"""A small synthetic register for register tests."""

from __future__ import annotations

import datetime as dt

from callup.register.importer import import_register
from callup.register.synth import synthesise
from register_helpers import context_on


def load_small_register(engine, policy, tmp_path, *, people: int = 20_000) -> None:
    path = tmp_path / "register.csv"
    synthesise(path, people=people, seed=21, regions=policy.region_codes, citizenship="EXR", on=dt.date(2026, 4, 1))
    import_register(context_on(engine, dt.date(2026, 4, 1)), path)
