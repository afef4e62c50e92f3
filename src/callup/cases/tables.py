"""Tables of case work: the cases and every transition each one went through.

A case belongs to one called person in one campaign (its region is the call's, for scope). Its
`state` is a state of its kind's machine (`callup.cases.machines`); the decision columns hold
the last decision, the transitions table holds all of them, in order, with who, when and why.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from callup.cases.kinds import CaseKind
from callup.crypto.types import EncryptedText
from callup.store.base import Base


class Case(Base):
    """One case of one called person in one campaign, in a state of its kind's machine."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_person", "campaign_id", "national_id"),
        Index("ix_cases_national_id", "national_id"),  # a person's cases in every campaign: the portal's status page
        Index("ix_cases_queue", "kind", "state", "region"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    national_id: Mapped[str] = mapped_column(String(32))
    region: Mapped[str] = mapped_column(String(16), comment="the call's region: decides who may see and decide the case")
    kind: Mapped[CaseKind] = mapped_column(Enum(CaseKind, name="case_kind", native_enum=False, length=24))
    state: Mapped[str] = mapped_column(String(32), comment="a state of the kind's machine")
    ground: Mapped[str | None] = mapped_column(String(64), comment="policy ground or fitness category code")
    policy_version: Mapped[str] = mapped_column(String(64), comment="policy version in force when the case was opened")
    evidence: Mapped[str | None] = mapped_column(Text, comment="document reference given with the application")
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    opened_by: Mapped[str] = mapped_column(String(128))
    opened_role: Mapped[str] = mapped_column(String(16))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_role: Mapped[str | None] = mapped_column(String(16))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    appeal_deadline: Mapped[dt.date | None] = mapped_column(Date, comment="last day an appeal against the decision is accepted")
    until: Mapped[dt.date | None] = mapped_column(Date, comment="end of a granted deferral, or the re-examination date")
    appeals_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), comment="an appeal: the case whose decision it contests")
    check_result: Mapped[str | None] = mapped_column(String(16), comment="registry check: verified, not_found or expired")
    check_source: Mapped[str | None] = mapped_column(Text, comment="registry, import and row the check used")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0",
                                         comment="raised by every step: a decision names the version it was made on")


class CaseTransition(Base):
    """One step of one case: from which state to which, by whom (name and role), when, why, on what evidence.

    `effect` records what the step did beyond the case (a release and its replacement, a
    restored call) as JSON, so that an overturned decision can be undone exactly.
    """

    __tablename__ = "case_transitions"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_case_transitions_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer, comment="1, 2, ... within the case")
    from_state: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[str | None] = mapped_column(Text)
    ground: Mapped[str | None] = mapped_column(String(64))
    effect: Mapped[str | None] = mapped_column(Text, comment="JSON: release, replacement, restored call")


class MedicalFinding(Base):
    """The medical board's findings behind a fitness category: special-category health data.

    `details` is encrypted; only the medical role reads it, and every read is audited
    (`callup.cases.medical.read_findings`). The case's reason names the category, never the details.
    """

    __tablename__ = "medical_findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(16), comment="the fitness category found")
    details: Mapped[str | None] = mapped_column(EncryptedText("medical_findings.details"), comment="health details (encrypted)")
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(String(128))


class RegistryImport(Base):
    """One import of an external registry file (e.g. an enrolment list); the newest import of a name is in force."""

    __tablename__ = "registry_imports"
    __table_args__ = (UniqueConstraint("name", "sha256", name="uq_registry_imports_content"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), comment="the registry's name, as policy grounds refer to it")
    source: Mapped[str] = mapped_column(Text, comment="file name as given")
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    imported_by: Mapped[str] = mapped_column(String(128))


class RegistryEntry(Base):
    """A person listed by a registry import, valid until a date (e.g. enrolled until the end of the year)."""

    __tablename__ = "registry_entries"
    __table_args__ = (Index("ix_registry_entries_person", "import_id", "national_id"),)

    import_id: Mapped[int] = mapped_column(ForeignKey("registry_imports.id", ondelete="CASCADE"), primary_key=True)
    line: Mapped[int] = mapped_column(Integer, primary_key=True, comment="line in the imported file")
    national_id: Mapped[str] = mapped_column(String(32))
    valid_until: Mapped[dt.date] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(Text, comment="the registry's own reference for the entry")


class CivilianAssignment(Base):
    """Alternative civilian service: the employer, the start and the planned end (start + the policy's term)."""

    __tablename__ = "civilian_assignments"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    employer: Mapped[str] = mapped_column(Text)
    start: Mapped[dt.date] = mapped_column(Date)
    planned_end: Mapped[dt.date] = mapped_column(Date, comment="start plus the policy's alternative service term")
    term_months: Mapped[int] = mapped_column(Integer)
    assigned_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    assigned_by: Mapped[str] = mapped_column(String(128))
    completed_on: Mapped[dt.date | None] = mapped_column(Date)
