"""The synthetic register: deterministic, realistic where callup cares, and broken on request."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq

from callup.register.synth import BAD_KINDS, synthesise

ON = dt.date(2026, 4, 1)


def _make(tmp_path, name, **kw):
    args = dict(people=30_000, seed=7, regions=[f"R{i:02d}" for i in range(1, 41)], citizenship="EXR", on=ON)
    args.update(kw)
    path = tmp_path / name
    return path, synthesise(path, **args)


def test_the_same_seed_gives_the_same_file_and_another_seed_another(tmp_path):
    a, _ = _make(tmp_path, "a.csv")
    b, _ = _make(tmp_path, "b.csv")
    c, _ = _make(tmp_path, "c.csv", seed=8)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_the_population_looks_like_a_country(tmp_path):
    path, _ = _make(tmp_path, "p.parquet")
    table = pq.read_table(path)
    ids = table.column("national_id").to_pylist()
    assert len(set(ids)) == len(ids) == 30_000
    sizes = np.array(table.group_by("region").aggregate([("region", "count")]).column("region_count").to_pylist())
    assert len(sizes) == 40 and sizes.max() > 10 * sizes.min()  # very unequal regions
    names = "".join(table.column("family_name").to_pylist())
    assert any("a" <= ch <= "z" for ch in names) and any("а" <= ch <= "я" for ch in names)  # Latin and Cyrillic
    status = dict(zip(*table.group_by("civil_status").aggregate([("civil_status", "count")]).to_pydict().values()))
    assert 0.01 < status["deceased"] / 30_000 < 0.10 and 0.01 < status["emigrated"] / 30_000 < 0.04
    births = pc.month(pc.cast(table.column("date_of_birth"), "date32")).to_numpy()
    per_month = np.bincount(births, minlength=13)[1:]
    assert per_month.max() > 1.1 * per_month.min()  # births bunch in some months
    ages = ON.year - pc.year(pc.cast(table.column("date_of_birth"), "date32")).to_numpy()
    assert (ages < 20).sum() > (ages > 80).sum() * 2  # a pyramid, not a block


def test_bad_rows_of_every_kind_are_produced_on_request(tmp_path):
    path, report = _make(tmp_path, "bad.csv", bad_share=0.02)
    assert set(report.bad_rows) == set(BAD_KINDS)
    assert 0.015 * 30_000 < sum(report.bad_rows.values()) < 0.025 * 30_000
    raw = path.read_bytes()
    try:
        raw.decode("utf-8")
        decodes = True
    except UnicodeDecodeError:
        decodes = False
    assert not decodes  # the wrong-encoding rows are really not UTF-8
