"""The draw: rank every person of a region by a keyed permutation of their pseudonym.

    rank key = AES-256(key = seed, one block = pseudonym)      (ECB on one block, no padding)

read as an unsigned 128-bit big-endian integer. AES under a fixed key is a permutation of
16-byte blocks, so distinct pseudonyms always get distinct rank keys: ties cannot happen.
Within a region people are ordered by ascending rank key; `rank` is the 1-based place in
that order. Nothing depends on row order, floats, the machine or the library: anyone can
recompute a rank key with `openssl enc -aes-256-ecb -nopad -K <seed hex>`.

Seats: in each region, volunteers take seats first (in rank order among themselves), then
the remaining seats go to the others in rank order. The "call order" of a region is its
volunteers in rank order followed by everyone else in rank order; the first `number` people
of the call order are called and the rest, in call order, are the region's reserve list.
If a region has fewer people than its number, everyone is called and the shortfall reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from callup.lottery.errors import LotteryError, PoolError
from callup.lottery.pool import Grouping, ascending, group_by_region, normalise_table
from callup.lottery.pseudonyms import PSEUDONYM_BYTES, pseudonym_bytes


def rank_keys(seed: bytes, pseudonyms: np.ndarray | bytes) -> np.ndarray:
    """AES-256-ECB of each 16-byte pseudonym under the 32-byte seed, as an (n, 16) uint8 array."""
    if len(seed) != 32:
        raise LotteryError("the seed must be 32 bytes")
    data = pseudonyms if isinstance(pseudonyms, bytes) else np.ascontiguousarray(pseudonyms, dtype=np.uint8).tobytes()
    if len(data) % PSEUDONYM_BYTES:
        raise LotteryError("pseudonyms must be 16 bytes each")
    encryptor = Cipher(algorithms.AES(seed), modes.ECB()).encryptor()
    out = encryptor.update(data) + encryptor.finalize()
    return np.frombuffer(out, dtype=np.uint8).reshape(-1, PSEUDONYM_BYTES)


def rank_key(seed: bytes, pseudonym: bytes) -> bytes:
    """The rank key of one pseudonym (16 bytes)."""
    key: bytes = rank_keys(seed, pseudonym)[0].tobytes()
    return key


@dataclass(frozen=True)
class RegionDraw:
    """What happened in one region. `called = volunteers_called + drawn = min(number, pool)`."""

    region: str
    pool: int
    volunteers: int
    number: int
    called: int
    volunteers_called: int
    drawn: int
    shortfall: int
    cutoff_key: str | None  # rank key (hex) of the last person called by lot; None if nobody was


@dataclass(frozen=True)
class DrawReport:
    """Counts per region (canonical region order) and national totals."""

    regions: dict[str, RegionDraw]

    @property
    def pool(self) -> int:
        return sum(r.pool for r in self.regions.values())

    @property
    def called(self) -> int:
        return sum(r.called for r in self.regions.values())

    @property
    def shortfall(self) -> int:
        return sum(r.shortfall for r in self.regions.values())


@dataclass(frozen=True)
class DrawResult:
    """Per-person outcome, aligned with the rows of the input pool table.

    - `rank[i]`: 1-based lottery rank of row i within its region (ascending rank key);
    - `position[i]`: 1-based place in the region's call order (equals `rank` when the region has no volunteers);
    - `called[i]`: whether row i is called;
    - `call_rows(region)`: the row numbers of a region in call order (called first, then the reserve list).
    """

    regions: list[str]
    rank: np.ndarray
    position: np.ndarray
    called: np.ndarray
    _call_order: np.ndarray
    _starts: np.ndarray
    _numbers: tuple[int, ...]

    def call_rows(self, region: str) -> np.ndarray:
        i = self.regions.index(region)
        return self._call_order[self._starts[i] : self._starts[i + 1]]

    def called_rows(self, region: str) -> np.ndarray:
        i = self.regions.index(region)
        return self._call_order[self._starts[i] : self._starts[i] + min(self._numbers[i], int(self._starts[i + 1] - self._starts[i]))]

    def reserve_rows(self, region: str) -> np.ndarray:
        i = self.regions.index(region)
        return self._call_order[self._starts[i] + min(self._numbers[i], int(self._starts[i + 1] - self._starts[i])) : self._starts[i + 1]]


def check_numbers(numbers: Mapping[str, int]) -> dict[str, int]:
    out = {}
    for region, number in numbers.items():
        if not isinstance(number, (int, np.integer)) or isinstance(number, bool) or number < 0:
            raise LotteryError(f"number to call in region {region!r} must be a whole number >= 0, not {number!r}")
        out[str(region)] = int(number)
    return out


def draw(pool: pa.Table, seed: bytes, numbers: Mapping[str, int], *, threads: int = 2) -> tuple[DrawResult, DrawReport]:
    """Draw a campaign: rank every region's pool and call the first `numbers[region]` of its call order.

    `pool` has columns region, pseudonym (`fixed_size_binary(16)` or hex text) and optionally
    volunteer (bool), in any row order: the outcome depends only on the set of rows. Regions
    of the pool missing from `numbers` call nobody; regions in `numbers` without anyone in the
    pool report their whole number as shortfall. `threads` regions are processed at a time
    (numpy's sort releases the GIL).
    """
    if len(seed) != 32:
        raise LotteryError("the seed must be 32 bytes")
    numbers = check_numbers(numbers)
    table = normalise_table(pool, keep_dictionary=True)
    n = table.num_rows
    grouping: Grouping = group_by_region(table.column("region"))
    matrix = pseudonym_bytes(table.column("pseudonym"))
    volunteer = table.column("volunteer").to_numpy(zero_copy_only=False) if n else np.zeros(0, dtype=bool)
    rank = np.zeros(n, dtype=np.uint32)
    position = np.zeros(n, dtype=np.uint32)
    called = np.zeros(n, dtype=bool)
    call_order = np.empty(n, dtype=np.int64)
    region_numbers = [numbers.get(name, 0) for name in grouping.names]
    cipher = Cipher(algorithms.AES(seed), modes.ECB())

    def one(i: int) -> RegionDraw:
        name = grouping.names[i]
        rows = grouping.indices(i)
        size = grouping.size(i)
        block = np.ascontiguousarray(matrix[rows])
        encryptor = cipher.encryptor()
        keys = np.frombuffer(encryptor.update(block.data) + encryptor.finalize(), dtype=np.uint8).reshape(size, PSEUDONYM_BYTES)
        order, duplicate = ascending(keys)
        if duplicate:
            raise PoolError(f"pool: a pseudonym occurs twice in region {name!r}")
        ranked_rows = order + rows.start if isinstance(rows, slice) else rows[order]
        ordinal = np.arange(1, size + 1, dtype=np.uint32)
        rank[ranked_rows] = ordinal
        vol = volunteer[ranked_rows]
        n_vol = int(vol.sum())
        if n_vol:
            in_call_order = np.concatenate([order[vol], order[~vol]])
            rows_in_call_order = np.concatenate([ranked_rows[vol], ranked_rows[~vol]])
        else:
            in_call_order = order
            rows_in_call_order = ranked_rows
        position[rows_in_call_order] = ordinal
        number = region_numbers[i]
        k = min(number, size)
        called[rows_in_call_order[:k]] = True
        start = int(grouping.starts[i])
        call_order[start : start + size] = rows_in_call_order
        volunteers_called = min(n_vol, k)
        drawn = k - volunteers_called
        cutoff = keys[in_call_order[k - 1]].tobytes().hex() if drawn else None
        return RegionDraw(name, size, n_vol, number, k, volunteers_called, drawn, number - k, cutoff)

    if threads > 1 and len(grouping.names) > 1 and n > 100_000:
        with ThreadPoolExecutor(threads) as pool_executor:
            outcomes = list(pool_executor.map(one, range(len(grouping.names))))
    else:
        outcomes = [one(i) for i in range(len(grouping.names))]
    regions = {r.region: r for r in outcomes}
    for name in sorted(set(numbers) - set(regions), key=lambda s: s.encode("utf-8")):
        regions[name] = RegionDraw(name, 0, 0, numbers[name], 0, 0, 0, numbers[name], None)
    names = sorted(regions, key=lambda s: s.encode("utf-8"))
    regions = {name: regions[name] for name in names}
    # Regions present only in `numbers` have an empty slice in the call order.
    starts, numbers_out, offset = [0], [], 0
    sizes = {name: grouping.size(i) for i, name in enumerate(grouping.names)}
    for name in names:
        offset += sizes.get(name, 0)
        starts.append(offset)
        numbers_out.append(regions[name].number)
    result = DrawResult(names, rank, position, called, call_order, np.array(starts, dtype=np.int64), tuple(numbers_out))
    return result, DrawReport(regions)


def result_table(pool: pa.Table, result: DrawResult) -> pa.Table:
    """The outcome as a table aligned with `pool`'s rows: region, pseudonym, rank, position, called.

    Convenient for loading into the store (e.g. one bulk insert keyed by pseudonym); the reserve
    list of a region is its rows with `called` false ordered by `position`.
    """
    table = normalise_table(pool)
    return pa.table(
        {
            "region": table.column("region"),
            "pseudonym": table.column("pseudonym"),
            "rank": pa.array(result.rank),
            "position": pa.array(result.position),
            "called": pa.array(result.called),
        }
    )
