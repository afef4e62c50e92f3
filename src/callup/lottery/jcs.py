"""RFC 8785 JSON Canonicalization Scheme (JCS) for the lottery's documents.

The commitment of format 2 is SHA-256 of the JCS bytes of its document. Our documents hold only
objects, arrays, strings, integers, booleans and null, for which JCS is:

- no white space between tokens; UTF-8 output;
- object members sorted by their names compared as arrays of UTF-16 code units (so U+1F600,
  written as the surrogate pair D83D DE00, sorts before U+FB33);
- strings as ECMAScript's JSON.stringify writes them: `"` and `\\` escaped as `\\"` and `\\\\`;
  U+0008, U+0009, U+000A, U+000C, U+000D as `\\b`, `\\t`, `\\n`, `\\f`, `\\r`; every other code
  point below U+0020 as `\\u00xx` with lowercase hex; everything else (U+007F, U+2028, any
  non-ASCII character) written as itself. A lone surrogate is not allowed;
- integers in plain decimal, no sign for zero; JCS numbers are IEEE doubles, so only integers
  of magnitude at most 2^53 - 1 are allowed (larger ones would not survive a round trip);
- `true`, `false`, `null`.

Floats are refused: none of our documents needs one, and refusing them keeps every byte defined
by the rules above.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from callup.lottery.errors import LotteryError

MAX_SAFE_INTEGER = 2**53 - 1

_SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def canonicalize(value: Any) -> bytes:
    """The JCS bytes of `value` (dicts, lists, str, int, bool, None)."""
    parts: list[str] = []
    _write(value, parts, "$")
    return "".join(parts).encode("utf-8")


def utf16_key(name: str) -> bytes:
    """Sort key of a member name: its UTF-16 code units (big-endian bytes compare the same way)."""
    return name.encode("utf-16-be")


def quote(text: str, where: str = "$") -> str:
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch in _SHORT:
            out.append(_SHORT[ch])
        elif code < 0x20:
            out.append(f"\\u{code:04x}")
        elif 0xD800 <= code <= 0xDFFF:
            raise LotteryError(f"{where}: a string holds a lone surrogate U+{code:04X}, which JSON text cannot carry")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _write(value: Any, out: list[str], where: str) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise LotteryError(f"{where}: integer {value} is beyond 2^53 - 1, which canonical JSON cannot hold exactly")
        out.append(str(int(value)))
    elif isinstance(value, float):
        raise LotteryError(f"{where}: floats are not allowed in a commitment (write {value!r} as a string)")
    elif isinstance(value, str):
        out.append(quote(value, where))
    elif isinstance(value, Mapping):
        for key in value:
            if not isinstance(key, str):
                raise LotteryError(f"{where}: object keys must be strings")
        out.append("{")
        for i, key in enumerate(sorted(value, key=lambda k: utf16_key(_checked(k, where)))):
            if i:
                out.append(",")
            out.append(quote(key, where))
            out.append(":")
            _write(value[key], out, f"{where}.{key}")
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out, f"{where}[{i}]")
        out.append("]")
    else:
        raise LotteryError(f"{where}: {type(value).__name__} is not allowed in a commitment")


def _checked(key: str, where: str) -> str:
    quote(key, where)  # refuses lone surrogates before they reach the UTF-16 encoder
    return key


__all__ = ["MAX_SAFE_INTEGER", "canonicalize", "quote", "utf16_key"]
