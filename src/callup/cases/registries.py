"""External registries a deferral ground can be checked against (e.g. an enrolment list).

`import_registry` reads a CSV `national_id,valid_until[,reference]`: ids get the lottery's
normalisation, bad rows go to a rejects file with line and reason (never the id), and the good
rows are stored as a new import of that registry name, which from then on is the one checks
use. The same file imported again changes nothing. `check` answers, for one person and one
day, whether the newest import lists them and until when, and names its source.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import pathlib
import re
from typing import ClassVar, cast

from sqlalchemy import Table, func, insert, select

from callup.audit import AuditEvent
from callup.cases.errors import CaseInputError
from callup.cases.tables import RegistryEntry, RegistryImport
from callup.context import Role
from callup.errors import CallupError
from callup.file_output import check_file, rejects_file, write_rejects
from callup.small_csv import read_rows
from callup.uow import UnitOfWork

imports, entries = cast(Table, RegistryImport.__table__), cast(Table, RegistryEntry.__table__)
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


@dataclasses.dataclass(frozen=True, kw_only=True)
class RegistryImported(AuditEvent):
    """registry.import: an external registry file was imported (counts and its hash)."""

    action: ClassVar[str] = "registry.import"
    name: str
    sha256: str
    rows: int
    rejected: int


@dataclasses.dataclass(frozen=True)
class ImportResult:
    name: str
    file: str
    import_id: int
    rows: int
    rejected: int
    rejects_file: str | None
    already_imported: bool


@dataclasses.dataclass(frozen=True)
class Check:
    """The result of checking a person against a registry: verified, expired, not_found or no_registry."""

    registry: str
    result: str
    valid_until: dt.date | None
    source: str


def _name(name: str) -> str:
    name = name.strip()
    if not NAME.match(name):
        raise CaseInputError(f"registry name {name!r} must be lower-case letters, digits, - or _ (at most 64)", field="name")
    return name


def import_registry(uow: UnitOfWork, name: str, path: pathlib.Path, *, rejects_path: pathlib.Path | None = None) -> ImportResult:
    """Import a registry file as the newest version of registry `name` (administrator or system)."""
    from callup.lottery.pseudonyms import normalise_id

    uow.ctx.require(Role.administrator, Role.system, doing="importing a registry")
    name, path = _name(name), pathlib.Path(path)
    if rejects_path is not None:
        check_file(rejects_path, field="rejects")
    rows, rejects = [], []
    for line, row in read_rows(path, ("national_id", "valid_until"), field="file"):
        try:
            national_id = normalise_id(row["national_id"])
        except CallupError:
            rejects.append((line, "national_id: empty once normalised"))
            continue
        if len(national_id) > 32:
            rejects.append((line, "national_id: longer than 32 characters"))
            continue
        try:
            until = dt.date.fromisoformat(row["valid_until"])
        except ValueError:
            rejects.append((line, f"valid_until: {row['valid_until'][:20]!r} is not a date (YYYY-MM-DD)"))
            continue
        rows.append(dict(line=line, national_id=national_id, valid_until=until, reference=row.get("reference") or None))
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    seen = uow.execute(select(imports.c.id).where(imports.c.name == name, imports.c.sha256 == sha)).first()
    if seen is not None:
        return ImportResult(name, str(path), seen.id, 0, 0, None, already_imported=True)
    import_id = uow.execute(insert(imports).values(name=name, source=path.name, sha256=sha, rows=len(rows), rejected=len(rejects),
                                                   imported_at=uow.now(), imported_by=uow.actor.label())).inserted_primary_key[0]
    for i in range(0, len(rows), 5000):
        uow.execute(insert(entries), [dict(r, import_id=import_id) for r in rows[i:i + 5000]])
    written = write_rejects(rejects_file(path, rejects_path), rejects, field="rejects") if rejects else None
    uow.record(RegistryImported(target=f"registry:{name}", name=name, sha256=sha, rows=len(rows), rejected=len(rejects)))
    return ImportResult(name, str(path), import_id, len(rows), len(rejects), written, already_imported=False)


def check(uow: UnitOfWork, name: str, national_id: str, on: dt.date) -> Check:
    """Whether the newest import of registry `name` lists the person on `on`, and where that answer comes from."""
    current = uow.execute(select(imports).where(imports.c.name == name).order_by(imports.c.id.desc()).limit(1)).mappings().first()
    if current is None:
        return Check(name, "no_registry", None, f"registry {name}: nothing imported yet")
    found = uow.execute(select(entries.c.line, entries.c.valid_until).where(
        entries.c.import_id == current["id"], entries.c.national_id == national_id.strip())
        .order_by(entries.c.valid_until.desc()).limit(1)).first()
    imported = current["imported_at"].date().isoformat()
    where = f"registry {name}, import {current['id']} of {current['source']} ({imported}, sha256 {current['sha256'][:12]})"
    if found is None:
        return Check(name, "not_found", None, f"{where}: not listed")
    result = "verified" if found.valid_until >= on else "expired"
    return Check(name, result, found.valid_until, f"{where}, line {found.line}: valid until {found.valid_until.isoformat()}")


@dataclasses.dataclass(frozen=True)
class RegistryListing:
    name: str
    import_id: int
    source: str
    rows: int
    rejected: int
    imported_at: dt.datetime
    imported_by: str


def list_registries(uow: UnitOfWork) -> list[RegistryListing]:
    """The import in force of every registry name."""
    newest = select(func.max(imports.c.id)).group_by(imports.c.name).scalar_subquery()
    rows = uow.execute(select(imports).where(imports.c.id.in_(newest)).order_by(imports.c.name)).mappings()
    return [RegistryListing(r["name"], r["id"], r["source"], r["rows"], r["rejected"], r["imported_at"], r["imported_by"])
            for r in rows]

