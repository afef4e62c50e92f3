"""Audit events of the register import: its start, each committed block, a resumption, an abandonment.

The import commits block by block, so each block's transaction carries its own entry: a run
killed and never resumed leaves every committed row covered by an entry. The entry of a finished
import, with the totals, is `callup.audit.RegisterImported`.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from callup.audit import AuditEvent


@dataclasses.dataclass(frozen=True, kw_only=True)
class ImportStarted(AuditEvent):
    """register.import.start: a register import began (import id, file, its SHA-256), before any row was loaded."""

    action: ClassVar[str] = "register.import.start"
    import_id: int
    source: str
    file_format: str
    file_sha256: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class ImportResumed(AuditEvent):
    """register.import.resume: an interrupted or failed import was run again from its checkpoint."""

    action: ClassVar[str] = "register.import.resume"
    import_id: int
    rows_done: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class ImportBlock(AuditEvent):
    """register.import.block: one block of an import committed (the rows it covers, counts imported and rejected)."""

    action: ClassVar[str] = "register.import.block"
    import_id: int
    after_row: int  # the checkpoint before the block: data rows (CSV lines after the header, Parquet rows) done
    to_row: int  # the checkpoint after it
    rows_imported: int
    rows_rejected: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class ImportAbandoned(AuditEvent):
    """register.import.abandon: an unfinished import was marked abandoned (its committed rows stay)."""

    action: ClassVar[str] = "register.import.abandon"
    import_id: int
    was: str
    rows_done: int
    rows_imported: int
