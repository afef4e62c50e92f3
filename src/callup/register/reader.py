"""Stream a register file (CSV or Parquet) as Arrow batches of strings with line numbers.

CSV is read in blocks cut at line ends, so each row's physical line number is known exactly and a
re-run can skip the blocks an interrupted run already committed. Values are read as raw bytes and
decoded later, so a wrong-encoding row is rejected on its own instead of failing the file.
Quoted values must not contain line breaks (a population register export has none): a line whose
quotes do not balance is rejected with its line number, and so is any line the parser cannot split
into the header's fields, found by halving the block until the line at fault is isolated. One bad
row never fails the file, and no message quotes the data.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import hashlib
import io
import os
import pathlib
import sys
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from callup.errors import InputError
from callup.register.columns import COLUMNS, REQUIRED

# Rows are read, validated and committed in blocks of about this many bytes (one transaction
# each); smaller blocks lose less work to a crash, larger ones import faster.
DEFAULT_BLOCK_BYTES = 16 * 2**20
MAX_BLOCK_BYTES = 2**30  # Arrow's CSV reader takes a block of at most 2 GiB
PARQUET_BATCH = 131_072
BOM = b"\xef\xbb\xbf"


@dataclasses.dataclass
class Batch:
    """Rows of one block: string-or-binary columns, the line of each row, and rows that did not parse."""

    table: pa.Table  # columns as in the file (binary for CSV, string for Parquet)
    lines: np.ndarray  # int64 line (CSV) or row (Parquet) number of each table row
    malformed: list[tuple[int, str]]  # (line, reason) of rows that could not be split into columns
    end: int  # position to resume after this batch: data lines consumed (CSV) or rows (Parquet)


@dataclasses.dataclass
class RegisterFile:
    path: pathlib.Path
    file_format: str
    columns: list[str]

    def fingerprint(self) -> str:
        """SHA-256 of the file's bytes: the same content is the same import, whatever its name."""
        digest = hashlib.sha256()
        with open(self.path, "rb") as fh:
            while chunk := fh.read(8 * 2**20):
                digest.update(chunk)
        return digest.hexdigest()

    def national_ids(self) -> Iterator[pa.Array]:
        """Every row's national id as text (trimmed), in file order, for the duplicate check."""
        for batch in self.batches(only=["national_id"]):
            yield decode_text(batch.table.column("national_id"))[0]

    def batches(self, *, skip: int = 0, only: list[str] | None = None) -> Iterator[Batch]:
        """Batches from the start, skipping those wholly before position `skip` (see `Batch.end`).

        `only` limits the columns read (the rows and their line numbers stay the same).
        """
        wanted = [c for c in self.columns if c in COLUMNS and (only is None or c in only)]
        if self.file_format == "csv":
            yield from _csv_batches(self.path, self.columns, wanted, skip)
        else:
            yield from _parquet_batches(self.path, wanted, skip)


def open_register_file(path: pathlib.Path) -> RegisterFile:
    """Check the file exists, has a known format and all required columns; read nothing else."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        try:
            schema = pq.read_schema(path)
        except UnicodeDecodeError:
            raise InputError(f"{path}: the Parquet file's column names are not UTF-8 text") from None
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"{path}: not a readable Parquet file ({' '.join(str(exc).split())[:200]})") from None
        columns = [name.strip().lower() for name in schema.names]
        file_format = "parquet"
        for field in schema:
            if field.name.strip().lower() in COLUMNS and not _readable_type(field.type):
                raise InputError(f"{path}: column {field.name!r} has the unsupported column type {field.type} "
                                 "(register columns hold text, numbers, dates or booleans, not lists or structures)")
    elif suffix in (".csv", ".txt"):
        with open(path, "rb") as fh:
            first = fh.readline()
        first = first.removeprefix(BOM).rstrip(b"\r\n")
        if not first:
            raise InputError(f"{path}: line 1: empty file or missing header row")
        try:
            header = first.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{path}: line 1: header is not UTF-8 text") from None
        try:
            columns = [name.strip().lower() for name in next(csv.reader([header]))]
        except csv.Error as exc:
            raise InputError(f"{path}: line 1: header row is not valid CSV ({exc})") from None
        file_format = "csv"
    else:
        raise InputError(f"{path}: unknown format {suffix or '(no extension)'!r}: use .csv or .parquet")
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise InputError(f"{path}: line 1: missing required column(s) {', '.join(missing)}")
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    if dupes:
        raise InputError(f"{path}: line 1: column(s) named more than once: {', '.join(dupes)}")
    return RegisterFile(path=path, file_format=file_format, columns=columns)


def _readable_type(kind: pa.DataType) -> bool:
    """A Parquet column type the importer reads as text (nested and binary-blob types are not)."""
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_integer(kind)
            or pa.types.is_floating(kind) or pa.types.is_boolean(kind) or pa.types.is_date(kind)
            or pa.types.is_timestamp(kind) or pa.types.is_decimal(kind) or pa.types.is_null(kind))


def block_bytes() -> int:
    """The block size: CALLUP_IMPORT_BLOCK_BYTES, read when a file is read. A bulk job's process is forked from a
    server that imported this module before the command's environment was given to it, so a value read at import
    would be the server's."""
    text = os.environ.get("CALLUP_IMPORT_BLOCK_BYTES", "").strip()
    if not text:
        return DEFAULT_BLOCK_BYTES
    if not (text.isascii() and text.isdecimal()) or not 1 <= int(text) <= MAX_BLOCK_BYTES:
        raise InputError(f"CALLUP_IMPORT_BLOCK_BYTES: {text[:40]!r} is not a whole number of bytes from 1 to {MAX_BLOCK_BYTES}")
    return int(text)


def _csv_blocks(path: pathlib.Path, size: int) -> Iterator[tuple[int, bytes]]:
    """(first data line number, block of whole lines) pairs after the header."""
    with open(path, "rb") as fh:
        fh.readline()  # header
        line = 2
        rest = b""
        while True:
            chunk = fh.read(size)
            if not chunk:
                if rest:
                    yield line, rest + b"\n"
                return
            data = rest + chunk
            cut = data.rfind(b"\n")
            if cut < 0:
                rest = data
                continue
            block, rest = data[: cut + 1], data[cut + 1 :]
            yield line, block
            line += block.count(b"\n")


def decode_text(column: pa.ChunkedArray | pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Decode raw bytes as UTF-8 and trim; returns (strings, mask of values that were not UTF-8).

    Values that are not UTF-8 become null, so one badly encoded row cannot fail a whole batch.
    """
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    bad = np.zeros(len(column), dtype=bool)
    if not pa.types.is_string(column.type):
        column = _decode(column, 0, bad)
    return pc.utf8_trim_whitespace(column), bad


def _decode(column: pa.Array, offset: int, bad: np.ndarray) -> pa.Array:
    """Cast binary to string; on failure, halve until the bad values are found (few casts for few bad values)."""
    try:
        return column.cast(pa.string())
    except pa.ArrowInvalid:
        pass
    if len(column) > 64:
        half = len(column) // 2
        left = _decode(column.slice(0, half), offset, bad)
        right = _decode(column.slice(half), offset + half, bad)
        return pa.concat_arrays([left, right])
    decoded = []
    for i, value in enumerate(column.to_pylist()):
        try:
            decoded.append(None if value is None else value.decode("utf-8"))
        except UnicodeDecodeError:
            decoded.append(None)
            bad[offset + i] = True
    return pa.array(decoded, pa.string())


def _csv_batches(path: pathlib.Path, columns: list[str], wanted: list[str], skip: int) -> Iterator[Batch]:
    size = block_bytes()
    read = pacsv.ReadOptions(column_names=columns, autogenerate_column_names=False, use_threads=True,
                             block_size=size + 1024)
    convert = pacsv.ConvertOptions(column_types={c: pa.binary() for c in columns}, include_columns=wanted,
                                   strings_can_be_null=False, quoted_strings_can_be_null=False)
    for first_line, block in _csv_blocks(path, size):
        n_lines = block.count(b"\n")
        end = first_line - 2 + n_lines
        if end <= skip:
            continue
        lines = np.arange(first_line, first_line + n_lines, dtype=np.int64)
        block, lines, malformed = _drop_unbalanced(block, lines)
        tables, kept, bad = _parse_lines(block, lines, read, convert, len(columns))
        malformed = sorted(malformed + bad)
        table = pa.concat_tables(tables) if tables else _empty(wanted)
        yield _after(Batch(table, kept, malformed, end), skip + 1)


def _empty(wanted: list[str]) -> pa.Table:
    return pa.table({c: pa.array([], pa.binary()) for c in wanted})


def _drop_unbalanced(block: bytes, lines: np.ndarray) -> tuple[bytes, np.ndarray, list[tuple[int, str]]]:
    """Remove the lines with an odd number of double quotes: a quoted value cut short or left open.

    A CSV parser would read on into the next line looking for the closing quote, merging two
    people into one row; here each such line is rejected on its own.
    """
    buffer = np.frombuffer(block, dtype=np.uint8)
    quotes = np.flatnonzero(buffer == 0x22)
    if not len(quotes):
        return block, lines, []
    newlines = np.flatnonzero(buffer == 0x0A)  # the block ends with one: one per line
    per_line = np.bincount(np.searchsorted(newlines, quotes), minlength=len(lines))
    odd = np.flatnonzero(per_line % 2 == 1)
    if not len(odd):
        return block, lines, []
    starts = np.concatenate([[0], newlines[:-1] + 1])
    keep = np.ones(len(lines), dtype=bool)
    keep[odd] = False
    pieces, run_start = [], None
    for i, kept in enumerate(keep):  # copy runs of kept lines
        if kept and run_start is None:
            run_start = i
        elif not kept and run_start is not None:
            pieces.append(block[starts[run_start]:newlines[i - 1] + 1])
            run_start = None
    if run_start is not None:
        pieces.append(block[starts[run_start]:])
    reason = "a quoted value is not closed on its line (row cut short, or a stray double quote)"
    return b"".join(pieces), lines[keep], [(int(lines[i]), reason) for i in odd]


def _parse_lines(block: bytes, lines: np.ndarray, read: pacsv.ReadOptions, convert: pacsv.ConvertOptions,
                 n_columns: int) -> tuple[list[pa.Table], np.ndarray, list[tuple[int, str]]]:
    """Parse `block` (one row per line, `lines` their numbers): (tables, line of each row, malformed rows).

    When the parser and the line count disagree, or the parser fails, the block is halved and each
    half parsed on its own, down to the single line at fault, which is rejected with its number;
    every other row is read. No error message quotes the data (it is personal).
    """
    if not len(lines):
        return [], lines, []
    invalid: list[str] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        invalid.append(row.text)
        return "skip"

    parse = pacsv.ParseOptions(invalid_row_handler=on_invalid, ignore_empty_lines=False, newlines_in_values=False)
    try:
        with _quiet_unraisable():
            table = pacsv.read_csv(io.BytesIO(block), read_options=read, parse_options=parse, convert_options=convert)
    except pa.ArrowInvalid:  # e.g. a row with the wrong field count that is not UTF-8 either
        table = None
    if table is not None:
        if not invalid and table.num_rows == len(lines):
            return [table], lines, []
        if invalid:
            malformed = _locate_malformed(block, lines, invalid, n_columns)
            if malformed is not None:
                kept = np.setdiff1d(lines, np.array([line for line, _ in malformed], dtype=np.int64), assume_unique=True)
                if len(kept) == table.num_rows:
                    return [table], kept, malformed
    if len(lines) == 1:
        return [], lines[:0], [(int(lines[0]), f"cannot be split into {n_columns} fields")]
    newlines = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 0x0A)
    half = len(lines) // 2
    cut = int(newlines[half - 1]) + 1
    left = _parse_lines(block[:cut], lines[:half], read, convert, n_columns)
    right = _parse_lines(block[cut:], lines[half:], read, convert, n_columns)
    return left[0] + right[0], np.concatenate([left[1], right[1]]), left[2] + right[2]


@contextlib.contextmanager
def _quiet_unraisable() -> Iterator[None]:
    """Arrow decodes an invalid row's text before calling the handler; when that text is not UTF-8 the
    decoding error cannot propagate and Python would print it (a traceback) to stderr. The parse
    fails instead, and `_parse_lines` narrows it down to the row, so the message is not needed."""
    previous = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: None if isinstance(unraisable.exc_value, UnicodeDecodeError) else previous(unraisable)
    try:
        yield
    finally:
        sys.unraisablehook = previous


def _after(batch: Batch, last_done: int) -> Batch:
    """Drop the rows at or before line/row `last_done` (committed by an earlier run with other block sizes)."""
    if len(batch.lines) and batch.lines[0] > last_done and all(line > last_done for line, _ in batch.malformed):
        return batch
    keep = batch.lines > last_done
    return Batch(batch.table.filter(pa.array(keep)), batch.lines[keep],
                 [(line, why) for line, why in batch.malformed if line > last_done], batch.end)


def _locate_malformed(block: bytes, lines: np.ndarray, texts: list[str], n_columns: int) -> list[tuple[int, str]] | None:
    """Line numbers of the rows Arrow skipped for a wrong field count, found by their text.

    Arrow reports skipped rows in file order, so one forward scan finds them all. Returns None
    when a text cannot be matched to a whole line.
    """
    newlines = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 0x0A)
    found: list[tuple[int, str]] = []
    start = 0
    for text in texts:
        needle = text.encode("utf-8", errors="surrogateescape")
        while True:
            at = block.find(needle, start)
            if at < 0:
                return None
            start = at + 1
            if (at == 0 or block[at - 1] == 0x0A) and block[at + len(needle):at + len(needle) + 1] in (b"\n", b"\r"):
                break
        try:
            fields = len(next(csv.reader([text]), []))
        except csv.Error:
            return None
        index = int(np.searchsorted(newlines, at))
        if index >= len(lines):
            return None
        found.append((int(lines[index]), f"expected {n_columns} fields, found {fields}"))
    return found


def _parquet_batches(path: pathlib.Path, wanted: list[str], skip: int) -> Iterator[Batch]:
    try:
        yield from _parquet_batches_unchecked(path, wanted, skip)
    except (pa.ArrowException, OSError, UnicodeDecodeError) as exc:  # a damaged page is only found when read
        raise InputError(f"{path}: damaged Parquet data ({' '.join(str(exc).split())[:200]})") from None


def _parquet_batches_unchecked(path: pathlib.Path, wanted: list[str], skip: int) -> Iterator[Batch]:
    file = pq.ParquetFile(path)
    names = {name.strip().lower(): name for name in file.schema_arrow.names}
    row = 0
    for group in range(file.num_row_groups):
        size = file.metadata.row_group(group).num_rows
        if row + size <= skip:
            row += size
            continue
        for record_batch in file.iter_batches(batch_size=PARQUET_BATCH, row_groups=[group], columns=[names[c] for c in wanted]):
            n = record_batch.num_rows
            start, row = row, row + n
            if row <= skip:
                continue
            arrays = []
            for array in record_batch.columns:
                if pa.types.is_date(array.type) or pa.types.is_timestamp(array.type):
                    array = array.cast(pa.date32())
                if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
                    # Parquet does not check that its text is UTF-8: hand the bytes to decode_text,
                    # which rejects a bad value on its own row instead of failing the batch.
                    arrays.append(array.view(pa.binary()) if pa.types.is_string(array.type) else array.cast(pa.large_binary()))
                else:
                    arrays.append(array.cast(pa.string()))
            table = pa.Table.from_arrays(arrays, names=wanted)
            yield _after(Batch(table, np.arange(start + 1, row + 1, dtype=np.int64), [], row), skip)


def count_rows(path: pathlib.Path) -> int | None:
    """Data rows in a register file, cheaply (for a progress bar); None when it cannot tell."""
    if path.suffix.lower() == ".parquet":
        try:
            import pyarrow.parquet as pq

            return pq.ParquetFile(path).metadata.num_rows
        except Exception:  # noqa: BLE001 - the import itself reports what is wrong with the file
            return None
    try:
        with open(path, "rb") as fh:
            return max(sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(2**24), b"")) - 1, 0)
    except OSError:
        return None
