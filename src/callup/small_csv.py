"""The one reader for the small CSV files people hand to callup (quotas, volunteers, releases, ...).

Tolerates a UTF-8 byte-order mark and header case/space differences; every problem is an
`InputError` naming the file (and line), never a traceback: missing file, a directory, an
unreadable or non-UTF-8 file, a missing column, a row with too many or too few fields. Values
are stripped of surrounding white space. Rows come as {column: value} with lower-case names.
"""

from __future__ import annotations

import csv
import pathlib
from collections.abc import Iterator

from callup.errors import InputError


def read_rows(path: pathlib.Path, required: tuple[str, ...], *, field: str | None = None) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) for each data row of `path`, which must have the `required` columns."""
    path = pathlib.Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a CSV file", field=field)
    try:
        fh = open(path, newline="", encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file", field=field) from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})", field=field) from None
    with fh:
        try:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                raise InputError(f"{path}: empty file: expected a header line with {', '.join(required)}", field=field)
            names = [h.strip().lower() for h in header]
            missing = [c for c in required if c not in names]
            if missing:
                raise InputError(f"{path}: line 1: expected columns {', '.join(required)}; missing {', '.join(missing)}",
                                 field=field)
            for fields in reader:
                line = reader.line_num
                if not fields or all(not f.strip() for f in fields):
                    continue
                if len(fields) != len(names):
                    raise InputError(f"{path}: line {line}: {len(fields)} fields where the header has {len(names)}",
                                     field=field)
                yield line, {n: v.strip() for n, v in zip(names, fields)}
        except UnicodeDecodeError:
            raise InputError(f"{path}: not UTF-8 text", field=field) from None
        except csv.Error as exc:
            raise InputError(f"{path}: line {reader.line_num}: not valid CSV ({exc})", field=field) from None


def whole_number(text: str, *, where: str, field: str | None = None, maximum: int | None = None) -> int:
    """A whole number >= 0 written in ASCII digits (full-width or other scripts' digits are refused)."""
    if not text or not text.isascii() or not text.isdigit():
        raise InputError(f"{where}: must be a whole number >= 0 in digits 0-9, got {text!r}", field=field)
    value = int(text)
    if maximum is not None and value > maximum:
        raise InputError(f"{where}: {value} is more than the largest allowed, {maximum}", field=field)
    return value
