"""The audit log: every state change and every read of a person's record, hash-chained.

A service function records its event in the same transaction as the change::

    from callup import audit

    with engine.begin() as conn:
        conn.execute(...)                                   # the change
        audit.record(conn, audit.PersonRead(target=audit.person(national_id), reason=reason))

Bulk jobs pass their `BulkSession` instead of a Connection, inside `bulk.transaction()`, and
record one entry per operation (counts and fingerprints), not one per row. See docs/audit.md.
"""

from callup.audit.actor import Actor, current_actor
from callup.audit.chain import AuditError, Entry, Verification, anchor, entries, record, verify
from callup.audit.events import (
    REGISTRY,
    AuditEvent,
    BackupRestored,
    BackupTaken,
    KeysRotated,
    NoteWritten,
    PersonRead,
    RegisterImported,
    person,
    utc_now,
)

__all__ = [
    "REGISTRY", "Actor", "AuditError", "AuditEvent", "BackupRestored", "BackupTaken", "Entry", "KeysRotated",
    "NoteWritten", "PersonRead", "RegisterImported", "Verification", "anchor", "current_actor", "entries",
    "person", "record", "utc_now", "verify",
]
