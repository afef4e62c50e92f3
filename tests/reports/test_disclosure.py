"""Disclosure control: small counts suppressed, and no suppressed count recoverable from what is published."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st

from callup.reports.disclosure import SMALL, WITHHELD, extended, protect

THRESHOLD = 5
counts = st.one_of(st.integers(0, 9), st.integers(0, 400))
tables = st.integers(1, 7).flatmap(lambda c: st.lists(st.lists(counts, min_size=c, max_size=c), min_size=0, max_size=7)
                                   .map(lambda rows: (c, rows)))


def _published(values, columns):  # noqa: ANN001, ANN202
    rows = [f"R{i}" for i in range(len(values))]
    return protect("t", "region", rows, [f"C{j}" for j in range(columns)], values, threshold=THRESHOLD)


def _determined(table: list[list[int]], suppressed: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Suppressed cells that the published cells and the additivity of every line fix to one value (linear algebra)."""
    cells = sorted(suppressed)
    if not cells:
        return set()
    n_rows, n_cols = len(table), len(table[0])
    lines = []  # every row and column of the extended table adds up: body cells +1, its total -1
    for i in range(n_rows):
        lines.append({(i, j): (-1.0 if j == n_cols - 1 else 1.0) for j in range(n_cols)})
    for j in range(n_cols):
        lines.append({(i, j): (-1.0 if i == n_rows - 1 else 1.0) for i in range(n_rows)})
    a = np.array([[line.get(cell, 0.0) for cell in cells] for line in lines])
    _, sv, vt = np.linalg.svd(a)
    rank = int((sv > 1e-9).sum())
    null = vt[rank:]  # directions the suppressed cells can move in without changing a published figure
    return {cell for k, cell in enumerate(cells) if null.shape[0] == 0 or np.all(np.abs(null[:, k]) < 1e-9)}


@settings(max_examples=300, deadline=None, derandomize=True)
@given(tables)
def test_no_suppressed_cell_can_be_recovered_and_published_figures_are_exact(shape):
    columns, values = shape
    published = _published(values, columns)
    table = extended(values, columns)
    n_rows, n_cols = len(table), len(table[0])
    hidden = set(published.suppressed)
    for i in range(n_rows):
        for j in range(n_cols):
            shown = published.shown(i, j)
            if (i, j) in hidden:
                assert shown == (f"<{THRESHOLD}" if published.suppressed[(i, j)] == SMALL else "x")
            else:  # published totals and cells are unchanged
                assert shown == f"{table[i][j]:,}"
            if 0 < table[i][j] < THRESHOLD:
                assert published.suppressed.get((i, j)) == SMALL
    body_rows, body_cols = n_rows - 1, n_cols - 1
    for i in range(body_rows):  # no row with a published total has exactly one suppressed cell
        if (i, body_cols) not in hidden:
            assert sum((i, j) in hidden for j in range(body_cols)) != 1
    for j in range(body_cols):  # nor any column
        if (body_rows, j) not in hidden:
            assert sum((i, j) in hidden for i in range(body_rows)) != 1
    assert not _determined(table, hidden)  # nor can any combination of lines single one out


def test_the_next_smallest_cell_of_the_same_row_and_column_is_withheld():
    published = _published([[3, 10, 40], [20, 30, 50], [25, 12, 60]], 3)
    assert published.suppressed == {(0, 0): SMALL, (0, 1): WITHHELD, (1, 0): WITHHELD, (1, 1): WITHHELD}
    assert published.body[0] == ["<5", "x", "40"] and published.row_totals[0] == "53" and published.grand_total == "250"


def test_a_small_total_is_suppressed_with_its_cells_and_a_large_table_needs_no_suppression():
    small = _published([[1, 2], [100, 200]], 2)
    assert small.row_totals[0] == "<5" and small.body[0] == ["<5", "<5"]
    assert not _determined(extended([[1, 2], [100, 200]], 2), set(small.suppressed))
    assert _published([[10, 20], [30, 40]], 2).suppressed == {}


def test_the_same_table_is_always_suppressed_the_same_way():
    values = [[4, 0, 7, 2], [9, 3, 0, 12], [50, 60, 1, 0]]
    assert _published(values, 4) == _published(values, 4)


def test_a_cell_joining_two_protected_blocks_is_protected_too():
    # Each block of small counts protects itself, and every line holds two or more of them; but the small count
    # joining the blocks (row 1, column 2) equals rows 0 and 1 added up less columns 0 and 1: it must get a partner.
    values = [[1, 2, 50, 60], [3, 4, 1, 70], [80, 90, 2, 3], [55, 65, 4, 1]]
    published = _published(values, 4)
    assert published.suppressed[(1, 2)] == SMALL
    assert WITHHELD in published.suppressed.values()
    assert not _determined(extended(values, 4), set(published.suppressed))
