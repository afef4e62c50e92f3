"""References and one-time portal sign-in codes of letters (a summons, a questionnaire).

A **reference** names one summons on paper, on the phone and in the portal, so it must be
unguessable, easy to read aloud and to type, and a typing mistake must be caught before it
finds the wrong summons::

    K7QM-2XBD-9RTF-H4WC-7PQ3

* 19 random symbols (95 bits, at least the 80 the issue asks for) from an injected random
  source (`secrets.token_bytes` by default) and 1 check symbol, shown in five groups of four.
* The alphabet is Crockford's base 32: digits and capital letters without I, L, O and U, so
  there is no 0/O or 1/I/L to confuse; on input I and L read as 1, O as 0, case, spaces and
  dashes do not matter.
* The check symbol is a parity symbol over the field GF(32) (x^5 + x^2 + 1), written in the
  same alphabet: the 20 symbols s_0..s_19 (values 0..31) satisfy

      sum over j of  a^(19 - j) * s_j  =  0      (a the generator x of GF(32))

  A single wrong symbol changes the sum by a^k * (difference), never 0 in a field; swapping
  two different neighbours changes it by (a^k + a^(k+1)) * (difference), never 0 because
  a^k and a^(k+1) differ (a has order 31 > 20). So every single mistyped symbol and every
  swap of two adjacent symbols is caught (so is any swap of two symbols, for the same
  reason). This is chosen over Crockford's mod-37 check (which needs the extra symbols
  `*~$=U`, awkward to read aloud) and ISO 7064 MOD 37-36 (whose check may be I, L, O or U,
  which this alphabet reads as other symbols): here the check is an ordinary symbol.

Uniqueness: 95 random bits make a collision between two references of a country's whole
history vanishingly unlikely (about 2^-55 for 10^8 summonses), but the store's unique index
is the guarantee; a service that hits it simply draws again.

A **sign-in code** is 8 symbols of the same alphabet (40 bits), shown as `7QXM-2KD9`, given
once on the letter for the portal. The store keeps only `hash_code(...)`: HMAC-SHA256 under a
server-side key, bound to the summons reference. Why a keyed hash and not argon2: a
memory-hard hash makes each guess expensive but 40 bits stay a small space (argon2 at 50 ms
a guess still falls to 2^40 guesses on a GPU farm), so it would not protect a stolen table on
its own; the key does (whoever copies the table without the key cannot test a single guess
offline), and online guessing is stopped by the attempt limit and expiry the portal enforces
(5 attempts against 2^40 codes: one chance in 2 x 10^11). A plain salted hash would not do:
2^40 SHA-256 guesses take minutes. The HMAC also costs microseconds, so checking a code adds
no load. Binding to the reference means a hash copied onto another summons does not verify.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable

from callup.errors import InputError

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_SYMBOLS = 19
REFERENCE_SYMBOLS = RANDOM_SYMBOLS + 1
GROUP = 4
CODE_SYMBOLS = 8
RANDOM_BITS = 5 * RANDOM_SYMBOLS

RandomBytes = Callable[[int], bytes]

_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_VALUE.update({"I": 1, "L": 1, "O": 0})
# Removed on input: white space and the dashes people type or paste.
_IGNORED = dict.fromkeys(map(ord, " \t\r\n\u00a0\u202f-\u2010\u2011\u2012\u2013\u2014\u2212_."), None)

# GF(32) with the primitive polynomial x^5 + x^2 + 1.
_EXP = [0] * 62
_LOG = [0] * 32
_x = 1
for _i in range(31):
    _EXP[_i] = _EXP[_i + 31] = _x
    _LOG[_x] = _i
    _x <<= 1
    if _x & 0x20:
        _x ^= 0b100101
del _x, _i


def _syndrome(values: list[int]) -> int:
    """sum a^(n-1-j) * v_j over GF(32), by Horner's rule (0 for a valid reference)."""
    acc = 0
    for v in values:
        acc = (_EXP[_LOG[acc] + 1] if acc else 0) ^ v
    return acc


def _group(symbols: str) -> str:
    return "-".join(symbols[i:i + GROUP] for i in range(0, len(symbols), GROUP))


def _symbols(random_bytes: RandomBytes, count: int) -> list[int]:
    nbytes = (5 * count + 7) // 8
    data = random_bytes(nbytes)
    if len(data) != nbytes:
        raise ValueError(f"random source returned {len(data)} bytes, expected {nbytes}")
    number = int.from_bytes(data, "big") >> (8 * nbytes - 5 * count)
    return [(number >> (5 * (count - 1 - i))) & 31 for i in range(count)]


def new_reference(random_bytes: RandomBytes = secrets.token_bytes) -> str:
    """A new reference in its printed form (`K7QM-2XBD-9RTF-H4WC-7PQ3`): 95 random bits from
    `random_bytes(n)` and the check symbol. Raises ValueError if the source returns a wrong
    number of bytes (a programming error, not a user's)."""
    values = _symbols(random_bytes, RANDOM_SYMBOLS)
    values.append(_syndrome(values + [0]))
    return _group("".join(ALPHABET[v] for v in values))


class BadSymbols(InputError):
    """A reference or code that cannot be one: `problem` is "character" (one not in the alphabet, at `position`),
    "length" (`count` symbols instead of `expected`) or "check" (the check symbol does not match: a typing mistake)."""

    def __init__(self, message: str, *, field: str, problem: str, position: int = 0, count: int = 0, expected: int = 0) -> None:
        super().__init__(message, field=field)
        self.problem, self.position, self.count, self.expected = problem, position, count, expected


def _values(text: str, *, field: str, what: str, length: int) -> list[int]:
    if not isinstance(text, str):
        raise InputError(f"{what}: expected text", field=field)
    compact = text.translate(_IGNORED).upper()
    if not compact:
        raise InputError(f"{what}: empty", field=field)
    values = []
    for position, ch in enumerate(compact, 1):
        v = _VALUE.get(ch)
        if v is None:
            shown = repr(ch) if ch.isprintable() and ord(ch) < 0x3000 else f"U+{ord(ch):04X}"
            raise BadSymbols(f"{what}: character {position} ({shown}) is not used in {what}s "
                             f"(digits and letters other than U)", field=field, problem="character", position=position)
        values.append(v)
    if len(values) != length:
        raise BadSymbols(f"{what}: has {len(values)} characters, expected {length}", field=field, problem="length",
                         count=len(values), expected=length)
    return values


def parse_reference(text: str) -> str:
    """The canonical printed form of a reference typed or read by a person.

    Case, spaces and dashes are ignored and I, L read as 1, O as 0. Raises
    `InputError(field="reference")` when a character is not in the alphabet, the length is not
    20 symbols, or the check symbol does not match (a mistyped or swapped character); the
    message does not repeat the text, which is a key to a summons."""
    values = _values(text, field="reference", what="reference", length=REFERENCE_SYMBOLS)
    if _syndrome(values):
        raise BadSymbols("reference: the check character does not match: a character is mistyped or two are swapped",
                         field="reference", problem="check")
    return _group("".join(ALPHABET[v] for v in values))


def is_reference(text: str) -> bool:
    """True when `text` parses as a reference (see `parse_reference`); never raises."""
    try:
        parse_reference(text)
    except InputError:
        return False
    return True


def compact_reference(reference: str) -> str:
    """The 20 symbols of a valid reference without dashes (for URLs); raises like `parse_reference`."""
    return parse_reference(reference).replace("-", "")


def new_code(random_bytes: RandomBytes = secrets.token_bytes) -> str:
    """A new one-time sign-in code, printed form `7QXM-2KD9` (40 random bits). Raises
    ValueError if the source returns a wrong number of bytes."""
    return _group("".join(ALPHABET[v] for v in _symbols(random_bytes, CODE_SYMBOLS)))


def parse_code(text: str) -> str:
    """The canonical form of a sign-in code typed by a person (same tolerance as references).
    Raises `InputError(field="code")` for a wrong character or length."""
    return _group("".join(ALPHABET[v] for v in _values(text, field="code", what="code", length=CODE_SYMBOLS)))


def _mac(code: str, reference: str, key: bytes) -> bytes:
    if len(key) < 16:
        raise ValueError("the sign-in code key must be at least 16 bytes")
    message = b"callup sign-in code v1\x00" + compact_reference(reference).encode() + b"\x00" + parse_code(code).replace("-", "").encode()
    return hmac.new(key, message, hashlib.sha256).digest()


def hash_code(code: str, *, reference: str, key: bytes) -> bytes:
    """What the store keeps of a sign-in code: HMAC-SHA256(key, reference, code), 32 bytes.

    `key` is a server-side secret of at least 16 bytes kept outside the store (see the module
    docstring for why a keyed hash). Raises `InputError` for a malformed code or reference and
    ValueError for a short key."""
    return _mac(code, reference, key)


def check_code(code: str, stored: bytes, *, reference: str, key: bytes) -> bool:
    """True when `code` is the code whose `hash_code` is `stored` for this reference.

    A malformed code is simply False (it counts as a failed attempt; use `parse_code` to tell
    the person about a typing mistake first). Constant-time comparison. The caller counts
    attempts and expiry."""
    try:
        candidate = _mac(code, reference, key)
    except InputError:
        return False
    return hmac.compare_digest(candidate, stored)
