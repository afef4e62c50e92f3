"""Commitment, salt and seed: what fixes the draw before anyone can know its outcome.

1. Before the draw the office publishes the commitment document (`Commitment`): campaign,
   policy version, pool fingerprint and size, the number to call per region, the beacon round
   that will be used, free-form parameters, and `salt_hash = SHA-256(salt)` for a 32-byte
   secret salt. The commitment is SHA-256 of the document's canonical JSON.
2. After the named beacon round is out, the officer types its value in and the seed is

       seed = SHA-256("callup-lottery-seed/1" || 0x00 || commitment (32 bytes) || salt (32 bytes) || beacon UTF-8)

3. The salt is revealed in the draw record, so anyone can recompute all three.

Canonical JSON: format 2 (`callup-commitment/2`) uses RFC 8785 (`callup.lottery.jcs`). Format 1
used `json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`, which gives
the same bytes except for member names above U+FFFF (code point order instead of UTF-16); it is
kept so that format-1 records stay verifiable.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from callup.lottery.errors import LotteryError
from callup.lottery.jcs import canonicalize
from callup.randomness import secure_random as secure_random  # the default `RandomSource`

SEED_TAG = b"callup-lottery-seed/1\x00"
SALT_BYTES = 32

#: Where all randomness of the lottery comes from: a function returning n random bytes.
RandomSource = Callable[[int], bytes]


class SeededRandom:
    """A reproducible `RandomSource` for declared rehearsals and tests: SHAKE-256 of a stated seed.

    Never for a real campaign: whoever knows the seed knows the salt. Picklable, so bulk jobs
    in child processes can use it.
    """

    def __init__(self, seed: bytes) -> None:
        self.seed = bytes(seed)

    def __call__(self, n: int) -> bytes:
        return hashlib.shake_256(b"callup-seeded-random/1\x00" + self.seed).digest(n)


def new_salt(random: RandomSource = secure_random) -> bytes:
    """A fresh 32-byte salt from the injectable random source (secure by default)."""
    salt = random(SALT_BYTES)
    if not isinstance(salt, bytes) or len(salt) != SALT_BYTES:
        raise LotteryError("the random source must return 32 bytes for a salt")
    return salt


def salt_hash(salt: bytes) -> str:
    """SHA-256 of the salt, hex: published in the commitment, checked against the revealed salt."""
    return hashlib.sha256(salt).hexdigest()


def canonical_json(document: Any) -> bytes:
    """The canonical JSON bytes of a document of dicts, lists, str, int and bool (no floats)."""
    _check_plain(document, "$")
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def _check_plain(value: Any, where: str) -> None:
    if isinstance(value, float):
        raise LotteryError(f"{where}: floats are not allowed in a commitment (write {value!r} as a string)")
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise LotteryError(f"{where}: object keys must be strings")
            _check_plain(item, f"{where}.{key}")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_plain(item, f"{where}[{i}]")
    elif not (value is None or isinstance(value, (str, int, bool))):
        raise LotteryError(f"{where}: {type(value).__name__} is not allowed in a commitment")


FORMAT_2 = "callup-commitment/2"


def commitment_bytes(document: Mapping[str, Any]) -> bytes:
    """The bytes that are hashed: RFC 8785 for format 2, format 1's sorted JSON otherwise."""
    if document.get("format") == FORMAT_2:
        return canonicalize(document)
    return canonical_json(document)


def commitment_hash(document: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of the commitment document, hex."""
    return hashlib.sha256(commitment_bytes(document)).hexdigest()


#: The Unicode White_Space characters: what format 2 trims around a typed beacon value.
WHITE_SPACE = (
    "\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def normalise_beacon(value: str, *, format_version: int = 2) -> str:
    """The beacon value as used in the seed: surrounding white space removed, nothing else changed.

    Format 2 removes exactly the Unicode White_Space characters (`WHITE_SPACE`). Format 1 used
    Python's `str.strip()`, which also removes U+001C..U+001F.
    """
    value = value.strip(WHITE_SPACE) if format_version >= 2 else value.strip()
    if not value:
        raise LotteryError("the beacon value is empty", field="beacon")
    return value


_HEX64 = re.compile(r"[0-9a-f]{64}")


def derive_seed(commitment: str, salt: bytes, beacon: str) -> bytes:
    """The 32-byte draw seed (see the module docstring); `commitment` is the 64-hex-digit commitment hash and
    `beacon` the value exactly as the record states it (already trimmed by `normalise_beacon`)."""
    if not _HEX64.fullmatch(commitment):
        raise LotteryError("the commitment must be 64 lowercase hex digits")
    if len(salt) != SALT_BYTES:
        raise LotteryError("the salt must be 32 bytes")
    if not beacon:
        raise LotteryError("the beacon value is empty", field="beacon")
    return hashlib.sha256(SEED_TAG + bytes.fromhex(commitment) + salt + beacon.encode("utf-8")).digest()
