"""The units file: `code,name,zone` (one row per unit); importing it again updates names and zones."""

from __future__ import annotations

import dataclasses
import hashlib
import pathlib
from typing import ClassVar, cast

from sqlalchemy import Table, insert, select, update

from callup.audit import AuditEvent
from callup.cases.errors import CaseInputError, CaseNotFound
from callup.context import Role
from callup.military_service.tables import Unit
from callup.small_csv import read_rows
from callup.uow import UnitOfWork

__all__ = ["UnitsImported", "UnitsResult", "import_units", "unit_zone", "unit_zones"]


units = cast(Table, Unit.__table__)


@dataclasses.dataclass(frozen=True, kw_only=True)
class UnitsImported(AuditEvent):
    """units.import: the units file was imported (counts and its hash)."""

    action: ClassVar[str] = "units.import"
    sha256: str
    added: int
    changed: int


@dataclasses.dataclass(frozen=True)
class UnitsResult:
    file: str
    added: int
    changed: int
    unchanged: int


def import_units(uow: UnitOfWork, path: pathlib.Path) -> UnitsResult:
    """Read the units CSV (every row must be valid: a bad row refuses the file, naming its line)."""
    uow.ctx.require(Role.administrator, Role.system, doing="importing units")
    path = pathlib.Path(path)
    rows: dict[str, tuple[str, str]] = {}
    for line, row in read_rows(path, ("code", "name", "zone"), field="file"):
        code, zone = row["code"], row["zone"].lower()
        if not code or len(code) > 32 or not zone or len(zone) > 32:
            raise CaseInputError(f"{path}: line {line}: code and zone are required, at most 32 characters each", field="file")
        if code in rows:
            raise CaseInputError(f"{path}: line {line}: unit {code} is listed twice", field="file")
        rows[code] = (row["name"] or code, zone)
    known = {r.code: (r.name, r.zone) for r in uow.execute(select(units.c.code, units.c.name, units.c.zone))}
    added = changed = 0
    for code, (name, zone) in rows.items():
        if code not in known:
            uow.execute(insert(units).values(code=code, name=name, zone=zone, updated_at=uow.now()))
            added += 1
        elif known[code] != (name, zone):
            uow.execute(update(units).where(units.c.code == code).values(name=name, zone=zone, updated_at=uow.now()))
            changed += 1
    uow.record(UnitsImported(target="units", sha256=hashlib.sha256(path.read_bytes()).hexdigest(), added=added, changed=changed))
    return UnitsResult(str(path), added, changed, len(rows) - added - changed)


def unit_zone(uow: UnitOfWork, code: str) -> str:
    return unit_zones(uow, [code])[code.strip()]


def unit_zones(uow: UnitOfWork, codes: list[str]) -> dict[str, str]:
    """The zone of each unit, by code, in one read; `CaseNotFound` naming the first unit there is none of."""
    wanted = sorted({c.strip() for c in codes})
    zones = dict(uow.execute(select(units.c.code, units.c.zone).where(units.c.code.in_(wanted))).tuples().all())
    for code in wanted:
        if code not in zones:
            raise CaseNotFound(f"no unit {code!r} (import the units file first)", field="unit")
    return zones
