"""Files of personal data taken out of the store: written owner-only, and every one audited.

An export names who took it, what (the kind), how many rows and where, in the audit log, in
the same transaction that records it; the file is written first, so a failed write leaves no
entry and a failed entry leaves no file behind.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import pathlib
from typing import ClassVar

import pyarrow as pa

from callup.audit import AuditEvent
from callup.context import Context, Role
from callup.csv_output import safe_table
from callup.errors import InputError
from callup.file_output import check_file, write_file
from callup.policy import PolicyVersion
from callup.uow import UnitOfWork


@dataclasses.dataclass(frozen=True, kw_only=True)
class PersonalDataExported(AuditEvent):
    """export.personal: a file with personal data was written (kind, rows, file)."""

    action: ClassVar[str] = "export.personal"
    kind: str
    rows: int
    file: str


def write_private_table(table: pa.Table, path: pathlib.Path, *, field: str) -> None:
    """Write `table` as .csv or .parquet, created mode 0600; `InputError` naming `field` if it cannot."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    suffix = check_export_path(path, field=field)
    with write_file(path, field=field, private=True) as fh:  # 0600, renamed into place when complete
        if suffix == ".parquet":
            pq.write_table(table, fh, compression="zstd")
        else:
            pacsv.write_csv(safe_table(table), fh)


def check_export_path(path: pathlib.Path, *, field: str) -> str:
    """The suffix of a usable export path; `InputError` naming `field` otherwise (checked before any work)."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise InputError(f"{path}: output must end in .csv or .parquet", field=field)
    check_file(path, field=field)
    return suffix


def export_table(ctx: Context, table: pa.Table, path: pathlib.Path, *, kind: str, field: str) -> str:
    """Write personal data to `path` and audit it; returns the path written."""
    ctx.require(Role.administrator, Role.officer, Role.system, doing="exporting personal data")
    write_private_table(table, path, field=field)
    with UnitOfWork(ctx) as uow:
        uow.record(PersonalDataExported(target=f"export:{kind}", kind=kind, rows=table.num_rows, file=str(path)))
    return str(path)


def export_eligibility(ctx: Context, version: PolicyVersion, on: dt.date, *, excluded_out: pathlib.Path | None,
                       pool_out: pathlib.Path | None) -> dict[str, str]:
    """The excluded (with reasons) and the eligible pool on `on`, as audited files; {kind: path}."""
    from callup.register.eligibility import eligible_pool, exclusions

    for path, field in ((excluded_out, "excluded_out"), (pool_out, "pool_out")):  # both, before either is written
        if path is not None:
            check_export_path(path, field=field)
    if excluded_out is not None and pool_out is not None and excluded_out.resolve() == pool_out.resolve():
        raise InputError(f"{pool_out}: --excluded-out and --pool-out name the same file", field="pool_out")
    files = {}
    if excluded_out is not None:
        files["excluded"] = export_table(ctx, exclusions(ctx, version, on), excluded_out, kind="excluded", field="excluded_out")
    if pool_out is not None:
        files["pool"] = export_table(ctx, eligible_pool(ctx, version, on), pool_out, kind="pool", field="pool_out")
    return files
