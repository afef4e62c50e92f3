"""A small synthetic register imported into a fresh store, for campaign tests."""

from __future__ import annotations

import datetime as dt
import pathlib

from callup.register.importer import import_register
from callup.register.synth import synthesise

TODAY = dt.date(2026, 11, 1)
WINDOW = (dt.date(2027, 4, 1), dt.date(2027, 7, 15))


def load_register(engine, policy, tmp_path: pathlib.Path, *, people: int = 20_000, seed: int = 11) -> pathlib.Path:
    path = tmp_path / "register.csv"
    synthesise(path, people=people, seed=seed, regions=policy.region_codes,
               citizenship=policy.versions[-1].registration.citizenships[0], on=TODAY)
    import_register(engine, path, jurisdiction=policy, today=TODAY)
    return path
