"""The one writer for every CSV file callup writes (manifests, rejects, exports, published tables).

A spreadsheet runs a cell that begins with `=`, `+`, `-` or `@` as a formula, and a leading tab or
carriage return can hide one, so a value such as `=HYPERLINK("...")` in a postcode or a name could
act on the machine of whoever opens the file. Every text cell that begins that way is written with
a leading apostrophe, which spreadsheets show as text. Numbers and number-like text (`-12`,
`+44 20 7946 0000`) keep their form: a sign followed only by digits, spaces, dots, dashes and
brackets computes nothing.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import IO, Any

#: Text a spreadsheet could run: a formula character first, or a sign followed by anything but a number.
RISKY = r"^(?:[=@\t\r]|[+-].*[^0-9 ().\-])"
_RISKY = re.compile(RISKY, re.DOTALL)


def safe_cell(value: Any) -> Any:
    """`value` as a spreadsheet shows it without running it (see the module docstring)."""
    if isinstance(value, str) and _RISKY.match(value):
        return "'" + value
    return value


class Writer:
    """`csv.writer` whose every cell goes through `safe_cell`."""

    def __init__(self, fh: IO[str], **options: Any) -> None:
        self._out = csv.writer(fh, **options)

    def writerow(self, row: Iterable[Any]) -> None:
        self._out.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(fh: IO[str], *, lineterminator: str = "\n") -> Writer:
    """A CSV writer on the text file `fh` (opened with newline="")."""
    return Writer(fh, lineterminator=lineterminator)


def safe_table(table: Any) -> Any:
    """An Arrow table with every text column passed through `safe_cell`, vectorised (for Arrow's CSV writer)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = []
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            risky = pc.fill_null(pc.match_substring_regex(column, "(?s)" + RISKY), False)
            column = pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)
        columns.append(column)
    return pa.table(columns, names=table.column_names)
