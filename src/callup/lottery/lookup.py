"""A person's own check: am I in the pool, in which region, with which rank, and was I called?

Everything here uses public files only (the draw record and, optionally, the pool file) and the
pseudonym printed on the person's summons or portal page. The first question matters most: a
person left out of the pool before the freeze is caught by no other check (`verify` can only
say that the files agree with each other), so `in_pool` is answered whenever the pool file is
given, and "not in the pool" is a result, not an error.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from callup.lottery.commitment import derive_seed
from callup.lottery.draw import rank_key, rank_keys
from callup.lottery.errors import PseudonymError
from callup.lottery.pool import be_words, canonical
from callup.lottery.pseudonyms import pseudonym_bytes
from callup.lottery.record import AnyRecord

_PSEUDONYM = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class RankLookup:
    """What the public files say about one pseudonym.

    `in_pool` is None when no pool file was given. `call_position` is the 1-based place in the
    region's call order (volunteers first, then by rank); `reserve_position` the place on the
    reserve list for someone not called; `rank` the 1-based place by rank key in the region.
    """

    pseudonym: str
    seed: str
    seed_matches_record: bool
    rank_key: str
    in_pool: bool | None
    region: str | None
    volunteer: bool | None
    called: bool
    call_position: int | None
    reserve_position: int | None
    rank: int | None
    region_pool: int | None


def parse_pseudonym(text: str) -> bytes:
    value = "".join(text.split()).lower()  # the letter prints it in groups of four
    if not _PSEUDONYM.fullmatch(value):
        raise PseudonymError("a pseudonym is 32 hex digits (spaces between groups allowed), as printed on the summons or "
                             "portal page", field="pseudonym")
    return bytes.fromhex(value)


def look_up(pseudonym_hex: str, record: AnyRecord, pool: pa.Table | None = None) -> RankLookup:
    """The person's rank key from the record, and with the pool file their region, rank and place."""
    pseud = parse_pseudonym(pseudonym_hex)
    seed = derive_seed(record.commitment.digest, bytes.fromhex(record.salt), record.beacon_value)
    key = rank_key(seed, pseud)
    region_name, called, call_position = None, False, None
    for name, region in record.regions.items():
        if pseud.hex() in region.called_pseudonyms:
            region_name, called, call_position = name, True, region.called_pseudonyms.index(pseud.hex()) + 1
            break
    found = functools.partial(RankLookup, pseudonym=pseud.hex(), seed=seed.hex(), seed_matches_record=seed.hex() == record.seed,
                              rank_key=key.hex())
    if pool is None:
        region_pool = record.regions[region_name].pool if region_name is not None else None
        return found(in_pool=None, region=region_name, volunteer=None, called=called, call_position=call_position,
                          reserve_position=None, rank=None, region_pool=region_pool)
    table = canonical(pool)
    matrix = pseudonym_bytes(table.column("pseudonym"))
    mine = np.frombuffer(pseud, dtype=np.uint8)
    hits = np.flatnonzero((matrix == mine).all(axis=1))
    if not len(hits):
        return found(in_pool=False, region=region_name, volunteer=None, called=called,
                          call_position=call_position, reserve_position=None, rank=None, region_pool=None)
    row = int(hits[0])
    region_name = table.column("region")[row].as_py()
    volunteer = bool(table.column("volunteer")[row].as_py())
    mask = table.column("region").to_numpy(zero_copy_only=False) == region_name
    keys = rank_keys(seed, matrix[mask])
    hi, lo = be_words(keys)
    khi, klo = be_words(np.frombuffer(key, dtype=np.uint8).reshape(1, 16))
    rank = int(((hi < khi[0]) | ((hi == khi[0]) & (lo < klo[0]))).sum()) + 1
    reserve_position = None
    drawn = record.regions.get(region_name)
    if drawn is not None and not called:
        vol = table.column("volunteer").to_numpy(zero_copy_only=False)[mask]
        order = np.lexsort((lo, hi))
        in_call_order = np.concatenate([order[vol[order]], order[~vol[order]]])
        place = int(np.flatnonzero((matrix[mask][in_call_order] == mine).all(axis=1))[0]) + 1
        call_position, reserve_position = place, place - drawn.called
    return found(in_pool=True, region=region_name, volunteer=volunteer, called=called, call_position=call_position,
                      reserve_position=reserve_position, rank=rank, region_pool=int(mask.sum()))


def rank_lookup(pseudonym_hex: str, record: AnyRecord, pool: pa.Table | None = None) -> dict[str, Any]:
    """`look_up` as a plain dict (for JSON output and older callers)."""
    from dataclasses import asdict

    return asdict(look_up(pseudonym_hex, record, pool))


__all__ = ["RankLookup", "look_up", "parse_pseudonym", "rank_lookup"]
