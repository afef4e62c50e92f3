"""Vectorised checks of register rows: one pass of Arrow compute per rule, no per-row Python.

Every rule yields a mask of failing rows and a reason; a row failing any rule is rejected and
each failure is reported with the row's line and the column at fault.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from callup.lottery.errors import LotteryError
from callup.lottery.pseudonyms import REMOVED, normalise_id
from callup.policy.model import POSTCODE_PATTERN
from callup.register.columns import CIVIL_STATUSES, FALSE_WORDS, OPTIONAL, REQUIRED, SEXES, TRUE_WORDS
from callup.register.reader import Batch, decode_text

EARLIEST_BIRTH = dt.date(1900, 1, 1)
MAX_LENGTH = {"national_id": 32, "sex": 1, "citizenship": 16, "region": 16, "postcode": 16, "phone": 32,
              "civil_status": 16, "family_name": 200, "given_names": 200, "address": 500, "email": 254}


@dataclasses.dataclass
class Checked:
    good: pa.Table  # string columns (volunteer as bool), rows that passed every rule
    rejects: list[tuple[int, str, str]]  # (line, column, reason)
    rejected_rows: int


# The ASCII characters `normalise_id` removes; on ASCII text NFKC changes nothing and upper-casing
# is A-Z only, so these kernels compute exactly `normalise_id` (a test checks it against the lottery).
_ASCII_REMOVED = "[" + "".join(f"\\x{ord(c):02x}" for c in REMOVED if c.isascii()) + "]"


def normalised_ids(ids: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The lottery's `normalise_id` of every id, vectorised; "" where an id normalises to nothing.

    The register applies it at import so that no two people share a pseudonym in a campaign and
    no id is empty once a campaign normalises it (see `callup.lottery.pseudonyms`).
    """
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks()
    if not pa.types.is_string(ids.type):
        ids = ids.cast(pa.string())
    out = pc.ascii_upper(pc.replace_substring_regex(ids, _ASCII_REMOVED, ""))
    other = pc.invert(pc.fill_null(pc.string_is_ascii(ids), True))
    if pc.any(other).as_py():
        values = []
        for value in pc.filter(ids, other).to_pylist():
            try:
                values.append(normalise_id(value))
            except LotteryError:
                values.append("")
        out = pc.replace_with_mask(out, other, pa.array(values, pa.string()))
    return out


def _mask(array: pa.Array) -> np.ndarray:
    """Rows where the rule fails; a null (no value to judge) does not fail it."""
    return pc.fill_null(array, False).to_numpy(zero_copy_only=False)


def check_batch(batch: Batch, *, regions: pa.Array, today: dt.date, id_rejects: dict[int, str] | None = None,
                postcode: str = POSTCODE_PATTERN) -> Checked:
    """Validate one batch; see the module docstring.

    `id_rejects` maps lines whose national id the whole file (or the register) rules out, found
    before the first batch (ids that collide once normalised), to the reason. `postcode` is the
    policy's pattern a whole postcode must match.
    """
    n = batch.table.num_rows
    failures: list[tuple[str, str, np.ndarray]] = []
    cols: dict[str, pa.Array] = {}
    for name in batch.table.column_names:
        text, bad_encoding = decode_text(batch.table.column(name))
        if bad_encoding.any():
            failures.append((name, "not valid UTF-8 text (wrong encoding?)", bad_encoding))
        cols[name] = text

    def fail(column: str, reason: str, mask: pa.Array | np.ndarray) -> None:
        mask = mask if isinstance(mask, np.ndarray) else _mask(mask)
        if mask.any():
            failures.append((column, reason, mask))

    for name, text in cols.items():  # NUL is not text (PostgreSQL refuses it)
        fail(name, "contains a NUL character (not text)", pc.fill_null(pc.match_substring(text, "\x00"), False))
    encoding_bad = {c: m for c, _, m in failures}
    for name in REQUIRED:
        empty = pc.fill_null(pc.equal(pc.utf8_length(cols[name]), 0), True).to_numpy(zero_copy_only=False)
        fail(name, "required value is missing", empty & ~encoding_bad.get(name, np.zeros(n, dtype=bool)))
    for name, limit in MAX_LENGTH.items():
        if name in cols:
            fail(name, f"longer than {limit} characters", pc.fill_null(pc.greater(pc.utf8_length(cols[name]), limit), False))

    present = lambda name: pc.fill_null(pc.greater(pc.utf8_length(cols[name]), 0), False)  # noqa: E731
    fail("national_id", "may contain only letters, digits and '-'",
         pc.and_kleene(present("national_id"), pc.invert(pc.match_substring_regex(cols["national_id"], r"^[0-9A-Za-z-]+$"))))
    fail("national_id", "is empty once spaces and dashes are removed: not an id",
         pc.and_kleene(present("national_id"), pc.equal(pc.utf8_length(normalised_ids(cols["national_id"])), 0)))

    dob_text = cols["date_of_birth"]
    shaped = pc.fill_null(pc.match_substring_regex(dob_text, r"^\d{4}-\d{2}-\d{2}$"), False)
    parsed = pc.strptime(pc.if_else(shaped, dob_text, None), format="%Y-%m-%d", unit="s", error_is_null=True)
    dob = pc.cast(parsed, pa.date32())
    # strptime rolls 2003-02-30 over to 2 March: a real date keeps the day it was written with.
    written_day = pc.cast(pc.utf8_slice_codeunits(pc.if_else(shaped, dob_text, None), 8, 10), pa.int64())
    dob = pc.if_else(pc.equal(pc.day(parsed), written_day), dob, None)
    fail("date_of_birth", "not a valid date (expected YYYY-MM-DD)", pc.and_kleene(present("date_of_birth"), pc.is_null(dob)))
    impossible = pc.or_(pc.less(dob, pa.scalar(EARLIEST_BIRTH)), pc.greater(dob, pa.scalar(today)))
    fail("date_of_birth", f"impossible date of birth (before {EARLIEST_BIRTH} or after {today})", pc.fill_null(impossible, False))

    sex = pc.utf8_upper(cols["sex"])
    fail("sex", f"must be one of {', '.join(SEXES)}", pc.and_kleene(present("sex"), pc.invert(pc.is_in(sex, value_set=pa.array(SEXES)))))
    civil = pc.utf8_lower(cols["civil_status"])
    fail("civil_status", f"must be one of {', '.join(CIVIL_STATUSES)}",
         pc.and_kleene(present("civil_status"), pc.invert(pc.is_in(civil, value_set=pa.array(CIVIL_STATUSES)))))
    fail("postcode", "not a postcode of the policy's form (postcode_pattern)",
         pc.and_kleene(present("postcode"), pc.invert(pc.match_substring_regex(cols["postcode"], f"^(?:{postcode})$"))))
    fail("region", "unknown region code (not in the policy's regions)",
         pc.and_kleene(present("region"), pc.invert(pc.is_in(cols["region"], value_set=regions))))
    citizenship = pc.utf8_upper(cols["citizenship"])
    fail("citizenship", "must be a code of letters and '-'",
         pc.and_kleene(present("citizenship"), pc.invert(pc.match_substring_regex(citizenship, r"^[A-Z][A-Z-]*$"))))
    if "email" in cols:
        fail("email", "not an e-mail address", pc.and_kleene(present("email"), pc.invert(pc.match_substring_regex(cols["email"], r"^[^@\s]+@[^@\s]+$"))))
    if "phone" in cols:
        fail("phone", "not a phone number", pc.and_kleene(present("phone"), pc.invert(pc.match_substring_regex(cols["phone"], r"^\+?[0-9 ()-]{4,}$"))))
    if "language" in cols:  # a language tag (ru, en, pt-BR); its letters fall back to the policy's language if none is written
        cols["language"] = pc.utf8_lower(pc.utf8_trim_whitespace(cols["language"]))
        fail("language", "not a language code (such as en, ru or pt-br)",
             pc.and_kleene(present("language"), pc.invert(pc.match_substring_regex(cols["language"], r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$"))))
    volunteer = None
    if "volunteer" in cols:
        word = pc.utf8_lower(pc.fill_null(cols["volunteer"], ""))
        fail("volunteer", "must be yes/no, true/false or 1/0", pc.invert(pc.is_in(word, value_set=pa.array(TRUE_WORDS + FALSE_WORDS))))
        volunteer = pc.is_in(word, value_set=pa.array(TRUE_WORDS))

    bad = np.zeros(n, dtype=bool)
    rejects: list[tuple[int, str, str]] = []
    if id_rejects:
        keys = np.fromiter(id_rejects, dtype=np.int64, count=len(id_rejects))
        clash = np.isin(batch.lines, keys)
        bad |= clash
        rejects.extend((int(line), "national_id", id_rejects[int(line)]) for line in batch.lines[clash])
    for column, reason, mask in failures:
        bad |= mask
        rejects.extend((int(line), column, reason) for line in batch.lines[mask])
    keep = pa.array(~bad)
    good = {
        "national_id": cols["national_id"],
        "family_name": cols["family_name"],
        "given_names": cols["given_names"],
        "date_of_birth": pc.cast(dob, pa.string()),
        "sex": sex,
        "citizenship": citizenship,
        "region": cols["region"],
        "address": cols["address"],
        "postcode": cols["postcode"],
        "civil_status": civil,
    }
    for name in OPTIONAL:
        if name == "volunteer" and volunteer is not None:
            good[name] = volunteer
        elif name in cols and name != "volunteer":
            good[name] = pc.if_else(present(name), cols[name], None)
    table = pa.table(good).filter(keep)
    rejects.sort()
    return Checked(good=table, rejects=rejects, rejected_rows=int(bad.sum()))
