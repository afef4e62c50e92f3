"""Typed audit events: one frozen dataclass per action.

Define a new one next to the code that performs the action::

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class CampaignFrozen(AuditEvent):
        \"\"\"campaign.freeze: the eligible pool of a campaign was frozen.\"\"\"
        action: ClassVar[str] = "campaign.freeze"
        pool_size: int
        pool_fingerprint: str

and record it with `uow.record(CampaignFrozen(target="campaign:spring-2027", ...))`.
Every field other than `target` and `reason` goes into the entry's details, so keep them
JSON values (str, int, float, bool, None, lists and dicts of those). Never put secrets or
sensitive free text in an event: the chain must stay verifiable by anyone, without keys. A
detail field holding another person's national id is listed in `personal`, so that it is stored
as that person's erasable commitment.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

REGISTRY: dict[str, type[AuditEvent]] = {}


def person(national_id: str) -> str:
    """The audit target naming a person's record.

    The log stores it as the person's salted commitment (`person#...`), never the id itself, so the
    person can be erased without breaking the chain; readers see `person:ID` again while the
    commitment's salt exists."""
    return f"person:{national_id.strip()}"


@dataclasses.dataclass(frozen=True, kw_only=True)
class AuditEvent:
    """Base of every audit event: the target (`person:ID`, `campaign:NAME`, `import:N`, ...) and
    an optional reason given by the actor. Actor and time are stamped by the unit of work."""

    action: ClassVar[str] = ""
    #: Detail fields that hold a national id: stored as the person's erasable commitment, like a
    #: `person:ID` target (see `callup.audit.tables.AuditSubject`); `a.b` is the field b of a dict field a.
    personal: ClassVar[tuple[str, ...]] = ()
    target: str
    reason: str | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.action:
            REGISTRY[cls.action] = cls

    def details(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in ("target", "reason")}


@dataclasses.dataclass(frozen=True, kw_only=True)
class PersonRead(AuditEvent):
    """person.read: an officer or auditor displayed a person's register record."""

    action: ClassVar[str] = "person.read"
    view: str = "register"


@dataclasses.dataclass(frozen=True, kw_only=True)
class RegisterImported(AuditEvent):
    """register.import: a register file was imported completely (one entry per import, with counts)."""

    action: ClassVar[str] = "register.import"
    import_id: int
    source: str
    file_format: str
    file_sha256: str
    rows_imported: int
    rows_rejected: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class NoteWritten(AuditEvent):
    """person.note: an officer wrote a note about a person (the text is encrypted, not in the log)."""

    action: ClassVar[str] = "person.note"
    note_id: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class KeysRotated(AuditEvent):
    """keys.rotate: every encrypted value was re-encrypted to the current key."""

    action: ClassVar[str] = "keys.rotate"
    key_id: str
    values_reencrypted: int
    columns: list[str]


@dataclasses.dataclass(frozen=True, kw_only=True)
class BackupTaken(AuditEvent):
    """db.backup: a backup of the store was written (recorded just after it, so the entry is not inside it)."""

    action: ClassVar[str] = "db.backup"
    file: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class BackupRestored(AuditEvent):
    """db.restore: the store was replaced by a verified backup (the entry is the first after the backup's head)."""

    action: ClassVar[str] = "db.restore"
    file: str
    audit_head: str
    audit_count: int
    rows: int
    replaced_audit_count: int | None = None  # the head of the chain the restore replaced
    replaced_audit_head: str | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class BackupRestoreFailed(AuditEvent):
    """db.restore.failed: a restore was refused or did not verify; the store was left as it was."""

    action: ClassVar[str] = "db.restore.failed"
    file: str
    problem: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class ChainAnchored(AuditEvent):
    """audit.anchor: the head of the verified chain was exported for publication (its hash, entry count and time)."""

    action: ClassVar[str] = "audit.anchor"
    head_hash: str
    count: int
    time: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class ChainVerified(AuditEvent):
    """audit.verify: the chain was verified in the console (entries checked, the first bad one, the anchor it was held to)."""

    action: ClassVar[str] = "audit.verify"
    ok: bool
    count: int
    first_bad: int | None
    anchor_count: int | None
    anchor_head: str | None
    start: int = 0  # a bounded step: the entries after this one were checked
    complete: bool = True  # False: entries were left for the next step


@dataclasses.dataclass(frozen=True, kw_only=True)
class HistoryRead(AuditEvent):
    """audit.history: an auditor displayed who read or changed a person's record (with the reason given)."""

    action: ClassVar[str] = "audit.history"
    entries: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class PageViewed(AuditEvent):
    """audit.page: an auditor's page of the console was displayed without a check (the chain's, the draws', the access
    history's form); a check or a history shown is recorded by its own entry instead."""

    action: ClassVar[str] = "audit.page"
    page: str
