"""Tables of military service: units, service records with every step, and deployment attempts.

A service record's `state` is a state of the `SERVICE` machine (`callup.military_service.machines`);
its `service_status` is the legal status the policy's deployment rules name (e.g. conscript).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from callup.store.base import Base


class Unit(Base):
    """A military unit from the units file, with the zone it is stationed in (the guardrail reads the zone)."""

    __tablename__ = "units"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    zone: Mapped[str] = mapped_column(String(32), comment="zone the policy's deployment rules name, e.g. combat")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ServiceRecord(Base):
    """An inducted person's service: legal status, unit, start, planned end (start + the policy's term), and its end.

    A conscript who signs a contract has two records from the same campaign: the conscript one,
    ended (`converted`) on the day of signing, and a contract one from that day (`converted_from`).
    """

    __tablename__ = "service_records"
    __table_args__ = (UniqueConstraint("campaign_id", "national_id", "service_status", name="uq_service_records_person"),
                      Index("ix_service_records_due", "state", "planned_end"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    national_id: Mapped[str] = mapped_column(String(32), index=True)
    region: Mapped[str] = mapped_column(String(16))
    service_status: Mapped[str] = mapped_column(String(32), comment="the deployment rules' status, e.g. conscript")
    state: Mapped[str] = mapped_column(String(32), comment="a state of the SERVICE machine")
    unit: Mapped[str] = mapped_column(ForeignKey("units.code"))
    start: Mapped[dt.date] = mapped_column(Date)
    planned_end: Mapped[dt.date] = mapped_column(Date)
    term_months: Mapped[int] = mapped_column(Integer)
    inducted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    inducted_by: Mapped[str] = mapped_column(String(128))
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(Text)
    converted_from: Mapped[int | None] = mapped_column(
        ForeignKey("service_records.id"), comment="a contract record: the conscript record it continues from the day of signing")


class ServiceStep(Base):
    """One step of a service record (induction, transfer, discharge) with who, when, why and the unit."""

    __tablename__ = "service_steps"
    __table_args__ = (UniqueConstraint("record_id", "seq", name="uq_service_steps_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("service_records.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    from_state: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str | None] = mapped_column(String(32))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    second_officer: Mapped[str | None] = mapped_column(String(128), comment="named second officer of an override")


class DeploymentAttempt(Base):
    """An assignment to a unit in a zone the policy forbids for the status: refused, or made by override."""

    __tablename__ = "deployment_attempts"
    __table_args__ = (Index("ix_deployment_attempts_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    national_id: Mapped[str] = mapped_column(String(32))
    region: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[int | None] = mapped_column(ForeignKey("service_records.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(16), comment="induct or transfer")
    status: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(32))
    zone: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16), comment="refused or overridden")
    problem: Mapped[str] = mapped_column(Text)
    second_officer: Mapped[str | None] = mapped_column(String(128))
    override_reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))


class StatusDocument(Base):
    """A status document the portal signed for its holder, so the office can withdraw it before it expires.

    One row per serial (a holder's document of one day and status; copies share it). A document is
    withdrawn when its holder's status changes or by an officer (stolen, issued in error); the signed
    revocation list at /status/revoked names the withdrawn serials that have not yet expired."""

    __tablename__ = "status_documents"

    serial: Mapped[str] = mapped_column(String(32), primary_key=True)
    national_id: Mapped[str] = mapped_column(String(32), index=True)
    campaign: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32), comment="the status signed into the document")
    issued_on: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date] = mapped_column(Date, index=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_why: Mapped[str | None] = mapped_column(String(32), comment="status changed, or withdrawn by the office")
