"""Pool pseudonyms: keyed, unlinkable stand-ins for national ids.

National ids have little entropy (a birth date and a few digits), so a plain hash of an id
is not a pseudonym: anyone can hash every possible id and invert it. The pseudonym is
therefore keyed:

    pseudonym = HMAC-SHA256(pseudonym_key, normalise(national_id) as UTF-8)[:16]

16 bytes (128 bits) shown as 32 lowercase hex digits. The key never leaves the office; the
pseudonym is what the person's summons and portal page show, and what the published pool
file contains. Use one key per campaign (`campaign_key`) so that pseudonyms of two
campaigns cannot be linked to each other either.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from callup.lottery.errors import LotteryError

PSEUDONYM_BYTES = 16

#: Characters removed from an id after NFKC: the Unicode White_Space characters and dashes.
REMOVED = (
    "\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
    "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"
)
_DELETE = {ord(ch): None for ch in REMOVED}


def normalise_id(national_id: str) -> str:
    """The canonical spelling of a national id, so that "ab 12-34" and "AB1234" are one person.

    Steps, in order: Unicode NFKC; remove every character listed in `REMOVED` (the Unicode
    White_Space characters U+0009..U+000D, U+0020, U+0085, U+00A0, U+1680, U+2000..U+200A,
    U+2028, U+2029, U+202F, U+205F, U+3000, and the dashes U+002D, U+2010..U+2015, U+2212,
    U+FE63, U+FF0D); upper-case (Unicode default full case mapping, `str.upper`). An id that
    is empty after this is an error.
    """
    text = unicodedata.normalize("NFKC", national_id).translate(_DELETE).upper()
    if not text:
        raise LotteryError(f"national id {national_id!r} is empty after normalisation")
    return text


def campaign_key(master_key: bytes, campaign: str) -> bytes:
    """The pseudonym key of one campaign: HMAC-SHA256(master_key, "callup-pseudonym-key/1:" || campaign).

    Deriving a fresh key per campaign keeps pseudonyms of different campaigns unlinkable while
    the office stores a single secret. Neither key is ever published.
    """
    if len(master_key) < 32:
        raise LotteryError("the pseudonym master key must be at least 32 bytes")
    return hmac.digest(master_key, b"callup-pseudonym-key/1:" + campaign.encode("utf-8"), "sha256")


def pseudonym(key: bytes, national_id: str) -> bytes:
    """The 16-byte pseudonym of one id (see the module docstring)."""
    return hmac.digest(key, normalise_id(national_id).encode("utf-8"), "sha256")[:PSEUDONYM_BYTES]


def pseudonymise(key: bytes, ids: pa.Array | pa.ChunkedArray | Iterable[str]) -> pa.FixedSizeBinaryArray:
    """Pseudonyms of many ids, in input order, as a `fixed_size_binary(16)` array.

    HMAC is computed from its definition (RFC 2104) with pre-keyed SHA-256 states that are
    copied per id, which is about 1.5x faster than `hmac.digest` per id. This runs once, when
    the pool is frozen; it is not part of the draw.
    """
    if len(key) < 16:
        raise LotteryError("the pseudonym key must be at least 16 bytes")
    block = 64
    k = hashlib.sha256(key).digest() if len(key) > block else key
    k = k.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in k))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in k))
    data, offsets = _normalised_buffer(ids)
    out = bytearray()
    icopy, ocopy = inner.copy, outer.copy
    for start, end in zip(offsets[:-1], offsets[1:]):
        i = icopy()
        i.update(data[start:end])
        o = ocopy()
        o.update(i.digest())
        out += o.digest()[:PSEUDONYM_BYTES]
    n = len(out) // PSEUDONYM_BYTES
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(PSEUDONYM_BYTES), n, [None, pa.py_buffer(bytes(out))])


_ASCII_REMOVED = "[\\t\\n\\x0b\\x0c\\r \\-]"


def normalise_ids(ids: pa.Array | pa.ChunkedArray | Iterable[str]) -> list[bytes]:
    """`normalise_id` of many ids, as UTF-8 bytes."""
    data, offsets = _normalised_buffer(ids)
    return [bytes(data[a:b]) for a, b in zip(offsets[:-1], offsets[1:])]


def _normalised_buffer(ids: pa.Array | pa.ChunkedArray | Iterable[str]) -> tuple[memoryview, list[int]]:
    """Normalised ids as one UTF-8 buffer and n + 1 offsets; vectorised when every id is ASCII.

    On ASCII text NFKC is the identity and upper-casing is A-Z only, so the arrow kernels
    compute exactly `normalise_id`; any other id goes through `normalise_id` itself.
    """
    if not isinstance(ids, (pa.Array, pa.ChunkedArray)):
        ids = pa.array(list(ids), type=pa.string())
    if ids.null_count:
        raise LotteryError("national ids contain nulls")
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks()
    if not pa.types.is_string(ids.type):
        ids = ids.cast(pa.string())
    if len(ids) == 0:
        return memoryview(b""), [0]
    if not pc.all(pc.string_is_ascii(ids)).as_py():
        ids = pa.array([normalise_id(value) for value in ids.to_pylist()], type=pa.string())
    cleaned = pc.ascii_upper(pc.replace_substring_regex(ids, _ASCII_REMOVED, ""))
    if pc.any(pc.equal(pc.binary_length(cleaned), 0)).as_py():
        row = int(pc.index(pc.binary_length(cleaned), 0).as_py())
        raise LotteryError(f"national id {ids[row].as_py()!r} is empty after normalisation")
    offsets = np.frombuffer(cleaned.buffers()[1], dtype=np.int32)[cleaned.offset : cleaned.offset + len(cleaned) + 1]
    return memoryview(cleaned.buffers()[2]), offsets.tolist()


_HEX_PAIRS = np.array([f"{i:02x}".encode() for i in range(256)], dtype="S2").view(np.uint16)
_HEX_VALUE = np.full(256, 255, dtype=np.uint8)
for _i, _c in enumerate(b"0123456789abcdef"):
    _HEX_VALUE[_c] = _i
for _i, _c in enumerate(b"ABCDEF"):
    _HEX_VALUE[_c] = 10 + _i


def pseudonym_bytes(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """The pseudonyms of a `fixed_size_binary(16)` array as an (n, 16) uint8 array (zero copy when possible)."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if array.type != pa.binary(PSEUDONYM_BYTES):
        raise LotteryError(f"pseudonyms must be fixed_size_binary(16), not {array.type}")
    if array.null_count:
        raise LotteryError("pseudonyms contain nulls")
    n = len(array)
    buf = array.buffers()[1]
    if n == 0 or buf is None:
        return np.zeros((0, PSEUDONYM_BYTES), dtype=np.uint8)
    data = np.frombuffer(buf, dtype=np.uint8)
    start = array.offset * PSEUDONYM_BYTES
    return data[start : start + n * PSEUDONYM_BYTES].reshape(n, PSEUDONYM_BYTES)


def from_bytes(matrix: np.ndarray) -> pa.FixedSizeBinaryArray:
    """An (n, 16) uint8 array as a `fixed_size_binary(16)` array."""
    matrix = np.ascontiguousarray(matrix, dtype=np.uint8)
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(PSEUDONYM_BYTES), len(matrix), [None, pa.py_buffer(matrix)])


def to_hex(array: pa.Array | pa.ChunkedArray) -> pa.StringArray:
    """Pseudonyms as 32-character lowercase hex strings, vectorised."""
    matrix = pseudonym_bytes(array)
    n = len(matrix)
    text = _HEX_PAIRS[matrix]  # (n, 16) uint16, each the two ASCII hex digits of one byte
    offsets = np.arange(0, 2 * PSEUDONYM_BYTES * (n + 1), 2 * PSEUDONYM_BYTES, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(text)))


def from_hex(array: pa.Array | pa.ChunkedArray | Iterable[str], *, what: str = "pseudonym") -> pa.FixedSizeBinaryArray:
    """Parse 32-hex-digit pseudonyms (either case) into `fixed_size_binary(16)`; raise naming the first bad row."""
    if not isinstance(array, (pa.Array, pa.ChunkedArray)):
        array = pa.array(list(array), type=pa.string())
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_large_string(array.type) or pa.types.is_string_view(array.type):
        array = array.cast(pa.string())
    if not pa.types.is_string(array.type):
        raise LotteryError(f"{what} column must hold text, not {array.type}")
    n = len(array)
    if array.null_count:
        row = array.is_null().to_numpy(zero_copy_only=False).argmax()
        raise LotteryError(f"{what} missing in row {row + 1}")
    if n == 0:
        return from_bytes(np.zeros((0, PSEUDONYM_BYTES), dtype=np.uint8))
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32)[array.offset : array.offset + n + 1]
    lengths = np.diff(offsets)
    if (lengths != 2 * PSEUDONYM_BYTES).any():
        row = int(np.argmax(lengths != 2 * PSEUDONYM_BYTES))
        raise LotteryError(f"{what} in row {row + 1} is not 32 hex digits: {array[row].as_py()!r}")
    data = np.frombuffer(array.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    values = _HEX_VALUE[data].reshape(n, 2 * PSEUDONYM_BYTES)
    if (values == 255).any():
        row = int(np.argmax((values == 255).any(axis=1)))
        raise LotteryError(f"{what} in row {row + 1} is not 32 hex digits: {array[row].as_py()!r}")
    return from_bytes((values[:, 0::2] << 4) | values[:, 1::2])
