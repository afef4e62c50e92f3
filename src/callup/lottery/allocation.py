"""What a format-2 commitment says about the numbers to call, and how they follow from it.

A commitment binds one of two allocations, and `numbers` must follow from it over the pool:

- by method: a national quota `Q` shared among the pool's regions in proportion to their pools
  (`largest_remainder` or `sainte_lague`, exact integer arithmetic, see
  `callup.lottery.apportionment.apportion`); if `Q` exceeds the pool `P`, `P` seats are shared
  and the `Q - P` left unallocated count as national quota shortfall;
- explicit: a published table region -> quota (`quotas`), whose canonical CSV bytes
  (`quotas_csv`) hash to `quotas_sha256`. Regions of the pool missing from the table have
  quota 0; regions of the table missing from the pool are kept (their whole number is
  shortfall).

Then each region calls `number = ceil(quota x (1 + over_call_rate))`, computed exactly from the
rate's decimal text, and never capped: if the pool is smaller the difference is the region's
shortfall, reported in the record.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from callup.lottery.errors import LotteryError
from callup.lottery.pool import check_region_name

RATE_PATTERN = r"^(0|[1-9][0-9]*)(\.[0-9]+)?$"
Rate = Annotated[str, StringConstraints(pattern=RATE_PATTERN)]
Hex64 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Method = Literal["largest_remainder", "sainte_lague"]
METHODS: tuple[Method, ...] = get_args(Method)


class MethodAllocation(BaseModel):
    """A national quota apportioned to regions by a named method."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Method
    quota: int = Field(ge=0, le=2**53 - 1)
    over_call_rate: Rate = "0"


class ExplicitAllocation(BaseModel):
    """An explicit, published table of regional quotas (bound by its SHA-256)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["explicit"] = "explicit"
    quotas: dict[str, Annotated[int, Field(ge=0, le=2**53 - 1)]]
    quotas_sha256: Hex64
    over_call_rate: Rate = "0"


Allocation = MethodAllocation | ExplicitAllocation


def by_method(quota: int, method: str = "largest_remainder", over_call_rate: str = "0") -> MethodAllocation:
    chosen = next((m for m in METHODS if m == method), None)
    if chosen is None:
        raise LotteryError(f"unknown allocation method {method!r}; choose one of {', '.join(METHODS)}", field="method")
    return MethodAllocation(method=chosen, quota=_whole(quota, "quota"), over_call_rate=check_rate(over_call_rate))


def explicit(quotas: Mapping[str, int], over_call_rate: str = "0") -> ExplicitAllocation:
    table = {}
    for region, quota in quotas.items():
        check_region_name(str(region))
        table[str(region)] = _whole(quota, f"quota of region {region!r}")
    table = dict(sorted(table.items(), key=lambda kv: kv[0].encode("utf-8")))
    return ExplicitAllocation(quotas=table, quotas_sha256=hashlib.sha256(quotas_csv(table)).hexdigest(),
                              over_call_rate=check_rate(over_call_rate))


def check_rate(rate: str | int) -> str:
    text = str(rate).strip()
    if not re.fullmatch(RATE_PATTERN, text):
        raise LotteryError(f"over-call rate {rate!r} must be written as a plain decimal such as 0.35", field="over_call_rate")
    return text


def _whole(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise LotteryError(f"{what} must be a whole number >= 0, not {value!r}")
    return int(value)


def csv_field(text: str) -> str:
    """A region name as a CSV field: always in double quotes, each `"` doubled."""
    return '"' + text.replace('"', '""') + '"'


def quotas_csv(quotas: Mapping[str, int]) -> bytes:
    """The published quota table: `region,quota` then one line per region in UTF-8 byte order, LF line ends."""
    lines = ["region,quota\n"]
    for region in sorted(quotas, key=lambda s: s.encode("utf-8")):
        lines.append(f"{csv_field(region)},{int(quotas[region])}\n")
    return "".join(lines).encode("utf-8")


def over_call(quota: int, rate: str) -> int:
    """ceil(quota x (1 + rate)), exact from the rate's decimal text."""
    value = quota * (1 + Fraction(check_rate(rate)))
    return -((-value.numerator) // value.denominator)


@dataclass(frozen=True)
class Allocated:
    """Quota and number to call per region (every region of the pool and of an explicit table), in UTF-8 order."""

    quotas: dict[str, int]
    numbers: dict[str, int]
    quota_total: int  # the national quota committed (Q, or the table's sum)

    @property
    def unallocated(self) -> int:
        """Quota that no region received (a national quota above the whole pool)."""
        return self.quota_total - sum(self.quotas.values())


def allocate(allocation: Allocation, pools: Mapping[str, int]) -> Allocated:
    """Quotas and numbers per region that `allocation` gives over a pool of these region sizes."""
    if isinstance(allocation, ExplicitAllocation):
        names = set(pools) | set(allocation.quotas)
        quotas = {name: allocation.quotas.get(name, 0) for name in names}
        total = sum(allocation.quotas.values())
    else:
        from callup.lottery.apportionment import apportion

        sizes = {name: int(size) for name, size in pools.items()}
        quotas = apportion(sizes, min(allocation.quota, sum(sizes.values())), method=allocation.method)
        total = allocation.quota
    order = sorted(quotas, key=lambda s: s.encode("utf-8"))
    quotas = {name: quotas[name] for name in order}
    numbers = {name: over_call(quotas[name], allocation.over_call_rate) for name in order}
    return Allocated(quotas, numbers, total)


__all__ = [
    "Allocated",
    "Allocation",
    "ExplicitAllocation",
    "MethodAllocation",
    "allocate",
    "by_method",
    "check_rate",
    "csv_field",
    "explicit",
    "over_call",
    "quotas_csv",
]
