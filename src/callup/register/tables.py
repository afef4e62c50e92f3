"""Tables of the register: people, the imports that loaded them (with their rejected rows), the holds
other features' decisions put on people (out of the pool), and citizens' requests to change their contact details.

Bulk paths use the `__table__` objects with Core statements; the ORM classes serve the small,
one-record-at-a-time work of officers and citizens.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from callup.crypto.types import EncryptedText
from callup.errors import StateError
from callup.statemachine import Machine
from callup.store.base import Base


class CivilStatus(enum.Enum):
    alive = "alive"
    deceased = "deceased"
    emigrated = "emigrated"


class ImportStatus(enum.Enum):
    running = "running"
    finished = "finished"
    failed = "failed"
    abandoned = "abandoned"  # marked so by an administrator: never resumed; its committed rows stay


#: A register import's life: it runs in committed blocks; a failed (or killed) one is resumed by
#: importing the same file again, or abandoned by an administrator.
IMPORT = Machine("register import", {
    (ImportStatus.running, "resume"): ImportStatus.running,  # killed while running: picked up again
    (ImportStatus.failed, "resume"): ImportStatus.running,
    (ImportStatus.running, "fail"): ImportStatus.failed,
    (ImportStatus.running, "finish"): ImportStatus.finished,
    (ImportStatus.running, "abandon"): ImportStatus.abandoned,
    (ImportStatus.failed, "abandon"): ImportStatus.abandoned,
}, final=frozenset({ImportStatus.finished, ImportStatus.abandoned}), error=StateError)


class Person(Base):
    """One person on the register, keyed by the population register's national id."""

    __tablename__ = "people"
    __table_args__ = (
        CheckConstraint("sex IN ('M', 'F', 'X')", name="sex_known"),
        CheckConstraint("civil_status IN ('alive', 'deceased', 'emigrated')", name="civil_status"),
        Index("ix_people_region", "region"),
    )

    national_id: Mapped[str] = mapped_column(String(32), primary_key=True, comment="population register id")
    family_name: Mapped[str] = mapped_column(Text)
    given_names: Mapped[str] = mapped_column(Text)
    date_of_birth: Mapped[dt.date] = mapped_column(Date, comment="decides liability; from the population register")
    sex: Mapped[str] = mapped_column(String(1))
    citizenship: Mapped[str] = mapped_column(String(16))
    region: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(Text)
    postcode: Mapped[str] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(32))
    civil_status: Mapped[CivilStatus] = mapped_column(
        Enum(CivilStatus, name="civil_status", native_enum=False, length=16, validate_strings=True)
    )
    volunteer: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    language: Mapped[str | None] = mapped_column(String(16), comment="language of letters and pages (e.g. ru); NULL: the policy's")
    import_id: Mapped[int | None] = mapped_column(Integer, comment="import that last changed this row")


class PoolHold(Base):
    """A decision of another feature that keeps a person out of every pool: for good, or up to and including
    `until`. Case work and the military service write it (`register.holds`); eligibility reads only this."""

    __tablename__ = "pool_holds"

    national_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    source: Mapped[str] = mapped_column(String(48), primary_key=True, comment="what holds: 'case 12', 'induction 3' (campaign id)")
    until: Mapped[dt.date | None] = mapped_column(Date, comment="out of the pool up to and including this day; NULL: for good")


class Import(Base):
    """One run of `register import` over one file; re-running the same file resumes it."""

    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(Text, comment="file name as given")
    fingerprint: Mapped[str] = mapped_column(String(64), index=True, comment="SHA-256 of size, mtime and head/tail bytes")
    file_format: Mapped[str] = mapped_column(String(8))
    status: Mapped[ImportStatus] = mapped_column(Enum(ImportStatus, name="import_status", native_enum=False, length=16))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    rows_done: Mapped[int] = mapped_column(BigInteger, default=0, comment="data rows whose batch has committed")
    rows_imported: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_rejected: Mapped[int] = mapped_column(BigInteger, default=0)
    details: Mapped[dict | None] = mapped_column(JSON)


class ImportReject(Base):
    """A row the importer refused, with the place and the reason (written with its batch)."""

    __tablename__ = "import_rejects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("imports.id", ondelete="CASCADE"), index=True)
    line: Mapped[int] = mapped_column(BigInteger, comment="line in a CSV file, row (1-based) in a Parquet file")
    column: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)


class ContactRequest(Base):
    """A citizen's request to change their contact details; the register's owner confirms or rejects it."""

    __tablename__ = "contact_requests"
    __table_args__ = (Index("ix_contact_requests_queue", "status", "region"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    national_id: Mapped[str] = mapped_column(String(32), index=True)
    region: Mapped[str] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(EncryptedText("contact_requests.email"))
    phone: Mapped[str | None] = mapped_column(EncryptedText("contact_requests.phone"))
    address: Mapped[str | None] = mapped_column(EncryptedText("contact_requests.address"))
    postcode: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), comment="pending, confirmed or rejected")
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decision_reason: Mapped[str | None] = mapped_column(Text)
