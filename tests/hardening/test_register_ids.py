"""The register applies the lottery's id normalisation at import: no id that would block a campaign gets in."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st
from sqlalchemy import text

from callup.lottery.errors import LotteryError
from callup.lottery.pseudonyms import normalise_id
from callup.register.importer import import_register
from callup.register.validate import normalised_ids
from hardening_support import context_at, row, write_csv

pytestmark = pytest.mark.db  # runs callup on a store


def _rejects(engine, import_id):
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            'SELECT line, "column", reason FROM import_rejects WHERE import_id = :i ORDER BY line'), {"i": import_id})]


def _ids(engine):
    with engine.connect() as conn:
        return sorted(conn.execute(text("SELECT national_id FROM people")).scalars())


def test_ids_that_collide_after_normalisation_are_rejected_naming_each_other(engine, store_url, tmp_path):
    path = write_csv(tmp_path / "p.csv", [row("x5"), row("A1"), row("X5"), row("AB-12"), row("B2"), row("AB12"), row("---")])
    report = import_register(context_at(store_url), path)
    assert report.rows_imported == 2 and report.rows_rejected == 5
    assert _ids(engine) == ["A1", "B2"]
    rejects = {line: reason for line, column, reason in _rejects(engine, report.import_id) if column == "national_id"}
    assert "line 4" in rejects[2] and "line 2" in rejects[4]  # x5 <-> X5
    assert "line 7" in rejects[5] and "line 5" in rejects[7]  # AB-12 <-> AB12
    assert "empty" in rejects[8]  # '---'


def test_exact_duplicates_still_name_the_other_line(engine, store_url, tmp_path):
    path = write_csv(tmp_path / "p.csv", [row("D1"), row("D1"), row("D2")])
    report = import_register(context_at(store_url), path)
    rejects = {line: reason for line, column, reason in _rejects(engine, report.import_id)}
    assert "more than once" in rejects[2] and "line 3" in rejects[2] and "line 2" in rejects[3]
    assert _ids(engine) == ["D2"]


def test_an_id_that_collides_with_a_person_already_on_the_register_is_rejected(engine, store_url, tmp_path):
    first = import_register(context_at(store_url), write_csv(tmp_path / "a.csv", [row("AB-12"), row("CD34")]))
    assert first.rows_imported == 2
    second = import_register(context_at(store_url), write_csv(tmp_path / "b.csv", [
        row("ab12"), row("cd-34"), row("EF56"), row("GH78")]))
    assert second.rows_imported == 2 and second.rows_rejected == 2
    rejects = {line: reason for line, column, reason in _rejects(engine, second.import_id)}
    assert set(rejects) == {2, 3} and all("already on the register" in r for r in rejects.values())
    assert "AB-12" not in " ".join(rejects.values())  # the other person's id is not printed
    third = import_register(context_at(store_url), write_csv(tmp_path / "c.csv", [row("AB-12", address="2 New St")]))
    assert third.rows_imported == 1 and third.rows_rejected == 0  # the same spelling updates the person
    assert _ids(engine) == ["AB-12", "CD34", "EF56", "GH78"]


def test_a_campaign_can_be_frozen_after_an_import_of_ids_that_used_to_block_it(engine, store_url, tmp_path):
    import datetime as dt

    from callup.campaigns.service import Decree, open_campaign

    rows = [row(f"P{i}", date_of_birth="2004-05-06") for i in range(20)] + [row("p3"), row("P-4"), row("--")]
    import_register(context_at(store_url), write_csv(tmp_path / "p.csv", rows))
    result = open_campaign(context_at(store_url), Decree(name="c1", window=(dt.date(2026, 4, 1), dt.date(2026, 7, 1)), quota=5))
    assert result.pool_size == 18


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from("aAbB09-- \t\u00a0ＡＢ１-\u2010ß"), max_size=8), max_size=20))
def test_the_register_normalises_exactly_as_the_lottery(ids):
    import pyarrow as pa

    got = normalised_ids(pa.array(ids, pa.string())).to_pylist()
    for value, norm in zip(ids, got):
        try:
            assert norm == normalise_id(value)
        except LotteryError:
            assert norm == ""
