"""Regional allocation: share a national quota among regions, and add the over-call.

Pure functions, exact integer arithmetic (no floats), deterministic.

`apportion(pools, total, method=...)` gives each region a whole number of seats summing to
exactly `total`, in proportion to its eligible pool:

- "largest_remainder" (Hamilton, default): region i first gets floor(total * pool_i / P);
  the seats left over go one each to the largest remainders (total * pool_i mod P).
  Satisfies quota: every region gets floor or ceil of its exact share.
- "sainte_lague" (Webster): seats go one by one to the highest quotient pool_i / (2 s_i + 1),
  s_i being the seats region i has so far. House-monotone: a larger total never takes a
  seat away from a region.

Ties (equal remainders or quotients) go to the larger pool, then to the region whose name
comes first in UTF-8 byte order. No region receives more seats than its pool while another
still has room; if `total` exceeds the sum of pools, the excess is an error.

`over_call(quota, rate)` is the number to call so that `rate` (e.g. "0.35") more people than
the quota are summoned: ceil(quota * (1 + rate)), computed exactly from the decimal rate.
"""

from __future__ import annotations

import dataclasses
import heapq
import re
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from callup.errors import InputError

__all__ = ["MAX_OVER_CALL", "Shortfall", "apportion", "over_call", "over_call_regions", "parse_rate", "shortfall"]


Method = Literal["largest_remainder", "sainte_lague"]
METHODS: tuple[str, ...] = ("largest_remainder", "sainte_lague")


def _order_key(name: str, pool: int) -> tuple[int, bytes]:
    return (-pool, name.encode("utf-8"))


def _check(pools: Mapping[str, int], total: int) -> dict[str, int]:
    out = {}
    for name, size in pools.items():
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise InputError(f"eligible pool of region {name!r} must be a whole number >= 0, not {size!r}")
        out[str(name)] = int(size)
    if isinstance(total, bool) or not isinstance(total, int) or total < 0:
        raise InputError(f"the quota to apportion must be a whole number >= 0, not {total!r}")
    if total > sum(out.values()):
        raise InputError(f"cannot apportion {total} among regions whose pools hold only {sum(out.values())} people")
    return out


def apportion(pools: Mapping[str, int], total: int, *, method: Method = "largest_remainder") -> dict[str, int]:
    """Seats per region (same keys as `pools`), summing exactly to `total`. See the module docstring."""
    pools = _check(pools, total)
    if method == "largest_remainder":
        return _largest_remainder(pools, total)
    if method == "sainte_lague":
        return _sainte_lague(pools, total)
    raise InputError(f"unknown apportionment method {method!r}; choose one of {', '.join(METHODS)}")


def _largest_remainder(pools: dict[str, int], total: int) -> dict[str, int]:
    whole = sum(pools.values())
    if total == 0 or whole == 0:
        return {name: 0 for name in pools}
    seats = {name: total * size // whole for name, size in pools.items()}
    remainders = {name: total * size % whole for name, size in pools.items()}
    left = total - sum(seats.values())
    # Never beyond a region's pool: floor(share) <= pool, and ceil(share) <= pool too when total <= P.
    eligible = [name for name in pools if seats[name] < pools[name]]
    eligible.sort(key=lambda name: (-remainders[name],) + _order_key(name, pools[name]))
    for name in eligible[:left]:
        seats[name] += 1
    return seats


def _sainte_lague(pools: dict[str, int], total: int) -> dict[str, int]:
    """Highest averages with odd divisors, computed exactly.

    A first pass finds a rational threshold t (by bisection on floats, then made exact) such
    that the seats whose quotient exceeds t number at most `total`; those seats are certainly
    among the winners. The few remaining seats are then handed out one by one from a heap with
    exact integer comparisons.
    """
    seats = {name: 0 for name in pools}
    if total == 0:
        return seats
    active = {name: size for name, size in pools.items() if size > 0}

    def count_above(t: Fraction) -> dict[str, int]:
        # seats k (0-based) with size / (2k + 1) > t  <=>  2k + 1 < size / t
        out = {}
        for name, size in active.items():
            if t <= 0:
                out[name] = size
                continue
            bound = Fraction(size) / t  # odd divisors strictly below bound
            odd_max = bound.numerator // bound.denominator
            if odd_max * bound.denominator == bound.numerator:
                odd_max -= 1
            out[name] = min(size, max(0, (odd_max + 1) // 2))
        return out

    lo, hi = 0.0, float(max(active.values()))  # quotient at most the largest pool
    for _ in range(200):
        mid = (lo + hi) / 2
        if sum(count_above(Fraction(mid)).values()) > total:
            lo = mid
        else:
            hi = mid
        if hi - lo <= hi * 1e-15:
            break
    seats.update(count_above(Fraction(hi)))
    assert sum(seats.values()) <= total
    heap = [_Quotient(name, size, seats[name]) for name, size in active.items() if seats[name] < size]
    heapq.heapify(heap)
    for _ in range(total - sum(seats.values())):
        best = heapq.heappop(heap)
        seats[best.name] += 1
        if seats[best.name] < best.size:
            heapq.heappush(heap, _Quotient(best.name, best.size, seats[best.name]))
    return seats


class _Quotient:
    """The next seat's quotient size / (2 * seats + 1), ordered so that the heap top is the winner."""

    __slots__ = ("name", "size", "seats")

    def __init__(self, name: str, size: int, seats: int) -> None:
        self.name, self.size, self.seats = name, size, seats

    def __lt__(self, other: _Quotient) -> bool:
        a = self.size * (2 * other.seats + 1)
        b = other.size * (2 * self.seats + 1)
        if a != b:
            return a > b
        return _order_key(self.name, self.size) < _order_key(other.name, other.size)


#: No policy may allow more: calling eleven times the quota is not an over-call but a mistake.
MAX_OVER_CALL = Fraction(10)
# The decimal text the lottery's commitment carries (docs/lottery.md), with bounded length.
_RATE = re.compile(r"(0|[1-9][0-9]{0,5})(\.[0-9]{1,12})?")


def parse_rate(rate: str | int | Decimal | float, *, maximum: str | Fraction | None = None, field: str = "over_call") -> Fraction:
    """An over-call rate as an exact fraction, from plain decimal text such as "0.35".

    Refused, naming `field`: a sign, an exponent, inf or nan, digits other than 0-9, more than
    12 decimals, and any rate above `maximum` (the policy's) or `MAX_OVER_CALL`. Floats are read
    through their shortest decimal text.
    """
    text = "?" if isinstance(rate, bool) else str(rate)
    if not _RATE.fullmatch(text):
        shown = text if len(text) <= 40 else text[:40] + "..."
        raise InputError(f"over-call rate {shown!r} is not a decimal number such as 0.35 (digits 0-9 and one point; "
                         "no sign, exponent, inf or nan)", field=field)
    value = Fraction(Decimal(text))
    limit = MAX_OVER_CALL if maximum is None else min(Fraction(Decimal(str(maximum))), MAX_OVER_CALL)
    if value > limit:
        raise InputError(f"over-call rate {text} is more than the largest allowed, {_decimal(limit)}"
                         + (" (the policy's conscription.max_over_call_rate)" if maximum is not None and limit < MAX_OVER_CALL else ""),
                         field=field)
    return value


def _decimal(value: Fraction) -> str:
    text = str(Decimal(value.numerator) / Decimal(value.denominator))
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclasses.dataclass(frozen=True)
class Shortfall:
    """How far the eligible pool falls short of a decree: in total, and in each region short of its quota."""

    total: int  # the national quota less what the regions' pools can fill of their quotas
    by_region: dict[str, int]  # region -> its quota less its pool, for regions whose pool is smaller

    def __bool__(self) -> bool:
        return bool(self.total or self.by_region)


def shortfall(national_quota: int, pools: Mapping[str, int], quotas: Mapping[str, int]) -> Shortfall:
    """The decree's shortfall: what no draw can call because the pools are too small."""
    by_region = {r: q - pools.get(r, 0) for r, q in sorted(quotas.items()) if q > pools.get(r, 0)}
    fillable = sum(min(q, pools.get(r, 0)) for r, q in quotas.items())
    return Shortfall(total=max(0, national_quota - fillable), by_region=by_region)


def over_call(quota: int, rate: str | int | Decimal | float) -> int:
    """Number to call for `quota` with over-call `rate`: ceil(quota * (1 + rate)), exact."""
    if isinstance(quota, bool) or not isinstance(quota, int) or quota < 0:
        raise InputError(f"quota must be a whole number >= 0, not {quota!r}")
    value = quota * (1 + parse_rate(rate))
    return -((-value.numerator) // value.denominator)


def over_call_regions(quotas: Mapping[str, int], rate: str | int | Decimal | float, pools: Mapping[str, int] | None = None) -> dict[str, int]:
    """`over_call` applied to each region's quota, capped at the region's pool when `pools` is given."""
    out = {}
    for name, quota in quotas.items():
        number = over_call(quota, rate)
        out[name] = min(number, pools[name]) if pools is not None and name in pools else number
    return out
