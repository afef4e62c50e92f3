"""Tables of the trust foundation: the audit log and its head, and officers' notes (encrypted).

Created by migration 0002. Registered in `callup.store.registry`, so `Base.metadata`
always holds them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from callup.crypto.types import EncryptedText
from callup.store.base import Base

GENESIS = "0" * 64


class AuditEntry(Base):
    """One entry of the hash-chained audit log (append-only; see `callup.audit`)."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False, comment="1, 2, 3, ... without gaps")
    at: Mapped[str] = mapped_column(String(32), comment="UTC time, ISO 8601 with microseconds and Z")
    actor: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(200), index=True, comment="person:ID or kind:name of the object")
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[str] = mapped_column(Text, comment="canonical JSON object")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), comment="SHA-256(prev_hash bytes || canonical JSON of the entry)")


class AuditHead(Base):
    """The chain's last entry (one row): the lock appenders take, and a check against truncation."""

    __tablename__ = "audit_head"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class AuditSubject(Base):
    """How the audit log names one person: a salted commitment, erasable.

    An entry about a person stores `person#` and 32 hex digits of HMAC-SHA256(salt, national id)
    as its target, and the hash chain covers that text, never the id. Deleting this row (erasure
    under the retention rules) leaves every entry and the chain intact and verifiable, while
    nobody can tell any more whom those entries were about: the salt was the only link.
    """

    __tablename__ = "audit_subjects"

    national_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    salt: Mapped[str] = mapped_column(String(64), comment="32 random bytes, hex")
    commitment: Mapped[str] = mapped_column(String(40), unique=True, comment="person# + HMAC-SHA256(salt, id)[:16] in hex")


class PersonNote(Base):
    """A free-text note by an officer about a person; the text is encrypted at rest."""

    __tablename__ = "person_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    national_id: Mapped[str] = mapped_column(String(32), index=True)
    written_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    author: Mapped[str] = mapped_column(String(128))
    note: Mapped[str] = mapped_column(EncryptedText("person_notes.note"))
