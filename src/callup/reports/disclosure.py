"""Statistical disclosure control of published count tables: small counts suppressed, and enough others
that no suppressed count can be worked out from the published totals.

A table of counts is published with its row totals, column totals and grand total. Seen with
its totals it is an (R+1) x (C+1) table in which every row and every column adds up (a total
cell counted with a minus sign). Suppression works on that extended table, so totals are
protected like any other cell:

1. Primary: every count 0 < n < threshold (the policy's `publication.disclosure_threshold`),
   shown as "<5".
2. Secondary: the suppressed cells are the edges of a bipartite graph between the table's
   lines (rows on one side, columns on the other). A suppressed cell can be computed from the
   published figures exactly when its edge is a bridge of that graph (no cycle runs through
   it): adding up the lines on one side of the bridge leaves it alone. In particular a line
   with a single suppressed cell makes that cell a bridge. So while a bridge remains, one more
   cell is withheld (shown as "x"), chosen to close a cycle through the bridge: the smallest
   non-zero count of the table's body that joins the two sides; failing that, the smallest
   in the bridge's own row or column (the next smallest cell in the same row and column).
   Totals are withheld only when no body cell will do, and zeros last: a zero beside a small
   count narrows it to the total of the two.

The result publishes every figure it shows exactly (no rounding or noise), and no suppressed
cell is determined by the published ones (ignoring that counts are whole and not negative).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence

SMALL, WITHHELD = "small", "withheld"


@dataclasses.dataclass(frozen=True)
class PublishedTable:
    """A count table as published: shown values (numbers or markers) for the body and the totals.

    `suppressed` maps (row, column) of the extended table (row R is the column totals, column C
    the row totals) to why: SMALL (a count under the threshold) or WITHHELD (to protect one).
    True values of suppressed cells are not kept.
    """

    title: str
    row_label: str
    rows: list[str]
    columns: list[str]
    body: list[list[str]]
    row_totals: list[str]
    column_totals: list[str]
    grand_total: str
    threshold: int
    suppressed: dict[tuple[int, int], str]
    note: str = ""

    def shown(self, i: int, j: int) -> str:
        """The shown value of extended cell (i, j)."""
        r, c = len(self.rows), len(self.columns)
        if i == r:
            return self.grand_total if j == c else self.column_totals[j]
        return self.row_totals[i] if j == c else self.body[i][j]


def extended(values: Sequence[Sequence[int]], n_columns: int) -> list[list[int]]:
    """The table with a totals column appended to each row and a totals row (with the grand total) below."""
    rows = [list(map(int, row)) + [sum(map(int, row))] for row in values]
    rows.append([sum(row[j] for row in rows) for j in range(n_columns + 1)])
    return rows


def _bridges(edges: set[tuple[int, int]], n_rows: int, n_cols: int) -> list[tuple[int, int]]:
    """Edges (row, col) of the bipartite graph that lie on no cycle (Tarjan's bridge search, iterative)."""
    adjacency: dict[tuple[str, int], list[tuple[tuple[str, int], tuple[int, int]]]] = {}
    for r, c in edges:
        adjacency.setdefault(("r", r), []).append((("c", c), (r, c)))
        adjacency.setdefault(("c", c), []).append((("r", r), (r, c)))
    order: dict[tuple[str, int], int] = {}
    low: dict[tuple[str, int], int] = {}
    found: list[tuple[int, int]] = []
    for root in sorted(adjacency):
        if root in order:
            continue
        order[root] = low[root] = len(order)
        # (vertex, the edge it was reached by (none for the root), its neighbours not yet looked at)
        stack: list[tuple[tuple[str, int], tuple[int, int] | None, Iterator[tuple[tuple[str, int], tuple[int, int]]]]]
        stack = [(root, None, iter(adjacency[root]))]
        while stack:
            vertex, via, neighbours = stack[-1]
            advanced = False
            for nxt, edge in neighbours:
                if edge == via:
                    continue
                if nxt in order:
                    low[vertex] = min(low[vertex], order[nxt])
                else:
                    order[nxt] = low[nxt] = len(order)
                    stack.append((nxt, edge, iter(adjacency[nxt])))
                    advanced = True
                    break
            if not advanced:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[vertex])
                    if low[vertex] > order[parent] and via is not None:  # (only the root, popped last, has no edge)
                        found.append(via)
    return sorted(found)


def _side(edges: set[tuple[int, int]], start: tuple[str, int]) -> set[tuple[str, int]]:
    """Vertices reachable from `start` over `edges`."""
    seen, todo = {start}, [start]
    while todo:
        kind, k = todo.pop()
        for r, c in edges:
            other = ("c", c) if kind == "r" and r == k else ("r", r) if kind == "c" and c == k else None
            if other is not None and other not in seen:
                seen.add(other)
                todo.append(other)
    return seen


def pattern(values: Sequence[Sequence[int]], n_columns: int, threshold: int) -> dict[tuple[int, int], str]:
    """Which cells of the extended table to suppress, and why (see the module docstring)."""
    table = extended(values, n_columns)
    n_rows, n_cols = len(table), len(table[0])
    last_row, last_col = n_rows - 1, n_cols - 1

    def cost(cell: tuple[int, int]) -> tuple[int, int, int, int, int]:
        i, j = cell
        margin = (i == last_row) + (j == last_col)
        value = table[i][j]
        return (margin, value == 0, value, i, j)

    why = {(i, j): SMALL for i in range(n_rows) for j in range(n_cols) if 0 < table[i][j] < threshold}
    while True:
        bridges = _bridges(set(why), n_rows, n_cols)
        if not bridges:
            return why
        r, c = bridges[0]
        rest = set(why) - {(r, c)}
        a, b = _side(rest, ("r", r)), _side(rest, ("c", c))
        free = [(i, j) for i in range(n_rows) for j in range(n_cols) if (i, j) not in why]
        joining = [(i, j) for i, j in free if (("r", i) in a and ("c", j) in b) or (("r", i) in b and ("c", j) in a)]
        beside = [(i, j) for i, j in free if i == r or j == c]
        why[min(joining or beside or free, key=cost)] = WITHHELD


def protect(title: str, row_label: str, rows: list[str], columns: list[str], values: Sequence[Sequence[int]], *,
            threshold: int, note: str = "") -> PublishedTable:
    """The table as it may be published under `threshold`; a threshold of 1 or less suppresses nothing."""
    if len(values) != len(rows) or any(len(v) != len(columns) for v in values) or not columns:
        raise ValueError("values must have one row per row label and one value per column label")
    if any(int(v) < 0 for row in values for v in row):
        raise ValueError("counts must not be negative")
    table = extended(values, len(columns))
    why = pattern(values, len(columns), threshold) if threshold > 1 else {}
    marks = {SMALL: f"<{threshold}", WITHHELD: "x"}
    shown = [[marks[why[(i, j)]] if (i, j) in why else f"{table[i][j]:,}" for j in range(len(table[0]))] for i in range(len(table))]
    return PublishedTable(title=title, row_label=row_label, rows=list(rows), columns=list(columns),
                          body=[row[:-1] for row in shown[:-1]], row_totals=[row[-1] for row in shown[:-1]],
                          column_totals=shown[-1][:-1], grand_total=shown[-1][-1], threshold=threshold, suppressed=why,
                          note=note)
