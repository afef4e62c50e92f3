"""Row numbers a table can hold, for numbers typed by a user (a case number, a request number in a URL).

Id columns are 32-bit on PostgreSQL (INTEGER): comparing one with 2**31 or more fails in the
database ("integer out of range") and aborts the transaction. Such a number names no row, so a
lookup checks it first and answers "not found" like any other unknown number.
"""

from __future__ import annotations

LARGEST_ROW_ID = 2**31 - 1


def is_row_id(value: int) -> bool:
    """Could `value` be the id of a row (1 to 2**31 - 1)?"""
    return 1 <= int(value) <= LARGEST_ROW_ID
