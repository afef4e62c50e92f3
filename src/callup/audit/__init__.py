"""The audit log: every state change and every read of a person's record, hash-chained.

A service function records its event in the unit of work of the change (see `callup.uow`)::

    uow.execute(...)                                                       # the change
    uow.record(audit.PersonRead(target=audit.person(national_id), reason=reason))

Bulk jobs call `audit.bulk_record(bulk, ctx, event)` inside `bulk.transaction()`, and record one
entry per operation (counts and fingerprints), not one per row. See docs/audit.md.
"""

from callup.audit.chain import (
    LAST_ABOUT_SQL,
    AuditError,
    Entry,
    Verification,
    anchor,
    bulk_record,
    entries,
    last_about,
    last_about_params,
    record,
    verify,
)
from callup.audit.events import (
    REGISTRY,
    AuditEvent,
    BackupRestored,
    BackupRestoreFailed,
    BackupTaken,
    KeysRotated,
    NoteWritten,
    PersonRead,
    RegisterImported,
    person,
)

__all__ = [
    "LAST_ABOUT_SQL", "REGISTRY", "AuditError", "AuditEvent", "BackupRestoreFailed", "BackupRestored", "BackupTaken", "Entry", "KeysRotated",
    "NoteWritten", "PersonRead", "RegisterImported", "Verification", "anchor", "bulk_record", "entries", "last_about",
    "last_about_params", "person", "record", "verify",
]
