"""The frozen pool: who may be drawn, in which region, as pseudonyms only.

In memory a pool is an Arrow table with columns

    region     string                   region name, non-empty, no control characters
    pseudonym  fixed_size_binary(16)    see `pseudonyms`
    volunteer  bool (optional)          volunteered before the commitment; default false

On disk (`write_pool` / `read_pool`) the same columns are stored in Parquet (`.parquet`) or
CSV (`.csv`), with the pseudonym as 32 lowercase hex digits and, in CSV, the volunteer flag as
`0`/`1`. Rows are written in canonical order: by region (UTF-8 bytes, ascending), then by
pseudonym (bytes, ascending).

The pool fingerprint is SHA-256 over the canonical rows, each encoded as

    region UTF-8 || 0x1F || pseudonym (16 bytes) || volunteer (0x00 or 0x01) || 0x1E

with nothing between rows. A region name cannot contain 0x1F, and the pseudonym has fixed
length, so the encoding is unambiguous. Each region's own block of rows has its own SHA-256
as well (the region fingerprint), which lets `verify` name the region whose pool changed.
"""

from __future__ import annotations

import hashlib
import pathlib
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from callup.lottery.errors import PoolError
from callup.lottery.pseudonyms import PSEUDONYM_BYTES, from_bytes, from_hex, pseudonym_bytes, to_hex

POOL_SCHEMA = pa.schema([("region", pa.string()), ("pseudonym", pa.binary(PSEUDONYM_BYTES)), ("volunteer", pa.bool_())])


@dataclass(frozen=True)
class Grouping:
    """Rows of a pool grouped by region, regions in canonical (UTF-8 byte) order.

    `rows[starts[i]:starts[i+1]]` are the input row numbers of region `names[i]`, in input
    order; `rows` is None when the input is already grouped in that order (then the row
    numbers are the range itself and nothing needs gathering).
    """

    names: list[str]
    starts: np.ndarray
    rows: np.ndarray | None

    def indices(self, i: int) -> np.ndarray | slice:
        start, end = int(self.starts[i]), int(self.starts[i + 1])
        return slice(start, end) if self.rows is None else self.rows[start:end]

    def block(self, i: int) -> slice:
        """The rows of region `i` as one range: for input already grouped in canonical order."""
        rows = self.indices(i)
        if not isinstance(rows, slice):
            raise PoolError("the pool is not in canonical order (grouped by region)")
        return rows

    def size(self, i: int) -> int:
        return int(self.starts[i + 1] - self.starts[i])


@dataclass(frozen=True)
class PoolFingerprint:
    """SHA-256 of the whole canonical pool and of each region's block, with counts."""

    fingerprint: str
    size: int
    regions: dict[str, RegionFingerprint] = field(default_factory=dict)


@dataclass(frozen=True)
class RegionFingerprint:
    size: int
    volunteers: int
    fingerprint: str


#: The fingerprint of a region with nobody in the pool (format 2): SHA-256 of no bytes.
EMPTY_FINGERPRINT = hashlib.sha256(b"").hexdigest()


def check_region_name(name: str, *, what: str | None = None) -> None:
    """A region name is non-empty text of Unicode scalar values without U+0000..U+001F or U+007F; errors begin
    with `what` (the file) when given."""
    where = f"{what}: " if what else ""
    if not name or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in name):
        raise PoolError(f"{where}region name {name!r} is empty or contains a control character")
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in name):
        raise PoolError(f"{where}region name {name!r} contains a lone surrogate, which UTF-8 cannot encode")


def group_by_region(regions: pa.Array | pa.ChunkedArray, *, what: str | None = None) -> Grouping:
    """Group row numbers by region name (vectorised: dictionary-encode, then a stable sort of small codes); errors
    begin with `what` (the file) when given."""
    where = f"{what}: " if what else ""
    if isinstance(regions, pa.ChunkedArray):
        regions = regions.combine_chunks()
    if regions.null_count:
        raise PoolError(f"{where}region missing in row {int(pc.index(regions.is_null(), True).as_py()) + 1}")
    if not pa.types.is_dictionary(regions.type):
        regions = pc.dictionary_encode(regions)
    dictionary = regions.dictionary.cast(pa.string()).to_pylist()
    for name in dictionary:
        check_region_name(name, what=what)
    # Canonical order of regions: UTF-8 bytes, which is also Python's code-point order of str.
    order = sorted(range(len(dictionary)), key=lambda i: dictionary[i].encode("utf-8"))
    names = [dictionary[i] for i in order]
    if len(set(names)) != len(names):
        raise PoolError(f"{where}region dictionary holds the same name twice")
    codes = regions.indices.to_numpy(zero_copy_only=False)
    if order != list(range(len(dictionary))):
        remap = np.empty(len(dictionary), dtype=np.int32)
        remap[order] = np.arange(len(dictionary), dtype=np.int32)
        codes = remap[codes]
    counts = np.bincount(codes, minlength=len(names)) if len(codes) else np.zeros(len(names), dtype=np.int64)
    keep = counts > 0  # a dictionary may carry names no row uses
    names = [name for name, k in zip(names, keep) if k]
    starts = np.concatenate([[0], np.cumsum(counts[keep])]).astype(np.int64)
    if len(codes) < 2 or bool((codes[1:] >= codes[:-1]).all()):
        return Grouping(names, starts, None)
    small = codes.astype(np.int16) if len(dictionary) < 2**15 else codes
    return Grouping(names, starts, np.argsort(small, kind="stable"))


def be_words(block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 16-byte rows of a contiguous (k, 16) uint8 array as (high, low) unsigned 64-bit big-endian words."""
    return be_word(block, 0), be_word(block, 1)


def be_word(block: np.ndarray, which: int) -> np.ndarray:
    """Word `which` (0 = high, 1 = low) of each 16-byte row as a native unsigned 64-bit integer (big-endian read)."""
    words = np.ascontiguousarray(block).view(">u8").reshape(-1, 2)[:, which]
    return words.astype(np.uint64)


def ascending(block: np.ndarray) -> tuple[np.ndarray, bool]:
    """Order of 16-byte rows by their value as unsigned 128-bit big-endian integers, and whether two rows are equal.

    Sorts on the high 64 bits; only if two high words are equal (probability about k^2 / 2^65)
    does it fall back to a full two-word sort, so the result is always the exact 128-bit order.
    """
    hi = be_word(block, 0)
    order = np.argsort(hi)
    if len(hi) < 2:
        return order, False
    sorted_hi = hi[order]
    if not (sorted_hi[1:] == sorted_hi[:-1]).any():
        return order, False
    lo = be_word(block, 1)
    order = np.lexsort((lo, hi))
    sh, sl = hi[order], lo[order]
    return order, bool(((sh[1:] == sh[:-1]) & (sl[1:] == sl[:-1])).any())


def _single(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    if isinstance(column, pa.ChunkedArray):
        return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
    return column


def normalise_table(table: pa.Table, *, what: str = "pool", keep_dictionary: bool = False) -> pa.Table:
    """Check the columns of a pool table and return it with the `POOL_SCHEMA` column types.

    With `keep_dictionary`, a dictionary-encoded region column is left as it is (the draw only
    groups by it, and decoding 10M names costs a tenth of a second)."""
    missing = [name for name in ("region", "pseudonym") if name not in table.column_names]
    if missing:
        raise PoolError(f"{what}: missing column(s) {', '.join(missing)}")
    region = _single(table.column("region"))
    if pa.types.is_dictionary(region.type):
        if not keep_dictionary:
            region = region.cast(pa.string())
    elif not pa.types.is_string(region.type):
        try:
            region = region.cast(pa.string())
        except pa.ArrowInvalid as exc:
            raise PoolError(f"{what}: region column must hold text") from exc
    pseud = _single(table.column("pseudonym"))
    if pa.types.is_fixed_size_binary(pseud.type) and pseud.type.byte_width == PSEUDONYM_BYTES:
        pass
    elif pa.types.is_string(pseud.type) or pa.types.is_large_string(pseud.type):
        try:
            pseud = from_hex(pseud)
        except Exception as exc:
            raise PoolError(f"{what}: {exc}") from exc
    else:
        raise PoolError(f"{what}: pseudonym column must be fixed_size_binary(16) or 32-hex-digit text, not {pseud.type}")
    if pseud.null_count:
        raise PoolError(f"{what}: pseudonym missing in row {int(pc.index(pseud.is_null(), True).as_py()) + 1}")
    if "volunteer" in table.column_names:
        vol = table.column("volunteer")
        if not pa.types.is_boolean(vol.type):
            try:
                vol = pc.not_equal(vol.cast(pa.int64()), 0)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise PoolError(f"{what}: volunteer column must be true/false or 0/1") from exc
        if vol.null_count:
            raise PoolError(f"{what}: volunteer flag missing in row {int(pc.index(vol.is_null(), True).as_py()) + 1}")
    else:
        vol = pa.array(np.zeros(table.num_rows, dtype=bool))
    if pa.types.is_dictionary(region.type):
        return pa.table({"region": region, "pseudonym": pseud, "volunteer": vol})
    return pa.table([region, pseud, vol], schema=POOL_SCHEMA)


def canonical(table: pa.Table, *, what: str = "pool") -> pa.Table:
    """The pool in canonical order (region bytes, then pseudonym bytes); raise if a pseudonym occurs twice."""
    table = normalise_table(table, what=what)
    grouping = group_by_region(table.column("region"), what=what)
    matrix = pseudonym_bytes(table.column("pseudonym"))
    pieces = []
    for i, name in enumerate(grouping.names):
        rows = grouping.indices(i)
        block = matrix[rows]
        order, dup = ascending(block)
        if dup:
            raise PoolError(f"{what}: a pseudonym occurs twice in region {name!r}")
        idx = np.arange(rows.start, rows.stop)[order] if isinstance(rows, slice) else rows[order]
        pieces.append(idx)
    perm = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int64)
    out = table.take(pa.array(perm)) if grouping.rows is not None or not _is_identity(perm) else table
    _check_unique_across_regions(pseudonym_bytes(out.column("pseudonym")), what)
    return out.combine_chunks()


def _is_identity(perm: np.ndarray) -> bool:
    return bool((perm == np.arange(len(perm))).all())


def _check_unique_across_regions(matrix: np.ndarray, what: str) -> None:
    hi, lo = be_words(matrix)
    order = np.argsort(hi)
    sh = hi[order]
    same = np.flatnonzero(sh[1:] == sh[:-1])
    for j in same:
        a, b = order[j], order[j + 1]
        if lo[a] == lo[b]:
            raise PoolError(f"{what}: pseudonym {matrix[a].tobytes().hex()} occurs in more than one row")


def is_canonical(table: pa.Table) -> bool:
    """True if the rows are already in canonical order with no repeated pseudonym within a region."""
    grouping = group_by_region(table.column("region"))
    if grouping.rows is not None:
        return False
    matrix = pseudonym_bytes(table.column("pseudonym"))
    hi, lo = be_words(matrix)
    for i in range(len(grouping.names)):
        s = grouping.indices(i)
        h, l = hi[s], lo[s]
        if len(h) > 1 and not ((h[1:] > h[:-1]) | ((h[1:] == h[:-1]) & (l[1:] > l[:-1]))).all():
            return False
    return True


def make_pool(regions: Iterable[str] | pa.Array | pa.ChunkedArray, pseudonyms: Iterable[bytes] | Iterable[str] | pa.Array | pa.ChunkedArray,
              volunteers: Iterable[bool] | pa.Array | pa.ChunkedArray | None = None) -> pa.Table:
    """Build a canonical pool table from parallel sequences (pseudonyms as bytes, hex text or an Arrow array)."""
    columns = {"region": pa.array(regions, type=pa.string()) if not isinstance(regions, (pa.Array, pa.ChunkedArray)) else regions}
    if isinstance(pseudonyms, (pa.Array, pa.ChunkedArray)):
        columns["pseudonym"] = pseudonyms
    else:
        values = list(pseudonyms)
        if values and isinstance(values[0], str):
            columns["pseudonym"] = from_hex(values)
        else:
            columns["pseudonym"] = pa.array(values, type=pa.binary(PSEUDONYM_BYTES))
    if volunteers is not None:
        columns["volunteer"] = volunteers if isinstance(volunteers, (pa.Array, pa.ChunkedArray)) else pa.array(list(volunteers), type=pa.bool_())
    return canonical(pa.table(columns))


def fingerprint(table: pa.Table) -> PoolFingerprint:
    """Fingerprint of a pool (canonicalised first, so input row order does not matter)."""
    return fingerprint_canonical(canonical(table))


def fingerprint_canonical(table: pa.Table) -> PoolFingerprint:
    """Fingerprint of a pool already in canonical order with `POOL_SCHEMA` (no checks; see `fingerprint`)."""
    grouping = group_by_region(table.column("region"))
    matrix = pseudonym_bytes(table.column("pseudonym"))
    vol = table.column("volunteer").to_numpy(zero_copy_only=False) if table.num_rows else np.zeros(0, dtype=bool)
    whole = hashlib.sha256()
    regions: dict[str, RegionFingerprint] = {}
    chunk = 1 << 20
    for i, name in enumerate(grouping.names):
        s = grouping.block(i)
        prefix = name.encode("utf-8")
        width = len(prefix) + 1 + PSEUDONYM_BYTES + 2
        part = hashlib.sha256()
        for start in range(s.start, s.stop, chunk):
            stop = min(start + chunk, s.stop)
            rows = np.empty((stop - start, width), dtype=np.uint8)
            rows[:, : len(prefix)] = np.frombuffer(prefix, dtype=np.uint8)
            rows[:, len(prefix)] = 0x1F
            rows[:, len(prefix) + 1 : len(prefix) + 1 + PSEUDONYM_BYTES] = matrix[start:stop]
            rows[:, -2] = vol[start:stop]
            rows[:, -1] = 0x1E
            whole.update(rows.data)
            part.update(rows.data)
        regions[name] = RegionFingerprint(size=s.stop - s.start, volunteers=int(vol[s].sum()), fingerprint=part.hexdigest())
    return PoolFingerprint(fingerprint=whole.hexdigest(), size=table.num_rows, regions=regions)


def write_pool(table: pa.Table, path: str | pathlib.Path) -> pa.Table:
    """Write the pool in canonical order to `.parquet` or `.csv`; return the canonical table."""
    path = pathlib.Path(path)
    table = canonical(table)
    out = pa.table({"region": table.column("region"), "pseudonym": to_hex(table.column("pseudonym")), "volunteer": table.column("volunteer")})
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        pq.write_table(out, path)
    elif path.suffix == ".csv":
        path.write_bytes(pool_csv(table))
    else:
        raise PoolError(f"{path}: pool files end in .parquet or .csv")
    return table


def pool_csv(table: pa.Table) -> bytes:
    """The canonical CSV bytes of a pool (format 2): UTF-8, LF line ends, header `region,pseudonym,volunteer`,
    then per row in canonical order the region in double quotes (each `"` doubled), the pseudonym as 32
    lowercase hex digits and the volunteer flag as 0 or 1."""
    table = canonical(table)
    header = b"region,pseudonym,volunteer\n"
    if not table.num_rows:
        return header
    region = pc.replace_substring(table.column("region").combine_chunks(), '"', '""')
    flag = pc.if_else(table.column("volunteer").combine_chunks(), "1", "0")
    lines = pc.binary_join_element_wise('"', region, '",', to_hex(table.column("pseudonym")), ",", flag, "\n", "")
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset : lines.offset + len(lines) + 1]
    body: bytes = lines.buffers()[2].to_pybytes()[offsets[0] : offsets[-1]]
    return header + body


def read_pool(path: str | pathlib.Path) -> pa.Table:
    """Read a pool file (`.parquet` or `.csv`) into a canonical pool table; errors name the file."""
    path = pathlib.Path(path)
    try:
        if path.suffix == ".parquet":
            import pyarrow.parquet as pq

            raw = pq.read_table(path)
        elif path.suffix == ".csv":
            import pyarrow.csv as pacsv

            types = {"region": pa.string(), "pseudonym": pa.string(), "volunteer": pa.string()}
            raw = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=False))
            if "volunteer" in raw.column_names:
                flags = raw.column("volunteer")
                bad = pc.invert(pc.is_in(flags, value_set=pa.array(["0", "1"])))
                if raw.num_rows and pc.any(bad).as_py():
                    row = int(pc.index(bad, True).as_py())
                    raise PoolError(f"{path}: row {row + 1}: volunteer must be 0 or 1, got {flags[row].as_py()!r}")
                raw = raw.set_column(raw.column_names.index("volunteer"), "volunteer", pc.equal(flags, "1"))
        else:
            raise PoolError(f"{path}: pool files end in .parquet or .csv")
    except FileNotFoundError as exc:
        raise PoolError(f"{path}: no such file") from exc
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError) as exc:  # a header that is not UTF-8
        raise PoolError(f"{path}: cannot read pool file: {exc}") from exc
    try:
        return canonical(raw, what=str(path))
    except PoolError:
        raise
    except Exception as exc:  # pragma: no cover - defensive: any other malformed content
        raise PoolError(f"{path}: {exc}") from exc


__all__ = [
    "EMPTY_FINGERPRINT",
    "POOL_SCHEMA",
    "Grouping",
    "PoolFingerprint",
    "RegionFingerprint",
    "ascending",
    "be_words",
    "canonical",
    "fingerprint",
    "fingerprint_canonical",
    "from_bytes",
    "group_by_region",
    "is_canonical",
    "make_pool",
    "pool_csv",
    "read_pool",
    "write_pool",
]
