"""Files an administrator hands to a campaign: regional quotas, volunteers, releases."""

from __future__ import annotations

import pathlib

from callup.campaigns.replacements import parse_reason
from callup.campaigns.tables import ReleaseReason
from callup.errors import InputError
from callup.small_csv import read_rows, whole_number


def read_regional_quotas(path: pathlib.Path, regions: list[str]) -> dict[str, int]:
    """A `region,quota` CSV; every error names the file and line."""
    quotas: dict[str, int] = {}
    for line, row in read_rows(path, ("region", "quota"), field="regional_quotas"):
        region = row["region"]
        if region not in regions:
            raise InputError(f"{path}: line {line}: unknown region {region!r}", field="regional_quotas")
        if region in quotas:
            raise InputError(f"{path}: line {line}: region {region!r} listed twice", field="regional_quotas")
        quotas[region] = whole_number(row["quota"], where=f"{path}: line {line}: quota", field="regional_quotas",
                                      maximum=10**9)
    if not quotas:
        raise InputError(f"{path}: no regions listed", field="regional_quotas")
    return quotas


def read_volunteers(path: pathlib.Path) -> list[str]:
    """A CSV with a `national_id` column listing volunteers."""
    return [row["national_id"] for _, row in read_rows(path, ("national_id",), field="volunteers") if row["national_id"]]


def read_releases(path: pathlib.Path) -> list[tuple[str, ReleaseReason]]:
    """A `national_id,reason` CSV of called people to release and replace."""
    items = []
    for line, row in read_rows(path, ("national_id", "reason"), field="file"):
        if not row["national_id"]:
            raise InputError(f"{path}: line {line}: national_id is empty", field="file")
        items.append((row["national_id"], parse_reason(row["reason"], where=f"{path}: line {line}: ")))
    return items
