"""Tables of the self-declaration questionnaire: each sending (a round), who it went to, their answers, and where
the answers routed them.

Answers are personal data (some are health data): the answers column and a route's detail are encrypted
(`EncryptedText`, see docs/encryption.md); the rest holds no answer, only that one was given and when.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from callup.crypto.types import EncryptedText
from callup.store.base import Base


class QuestionnaireRound(Base):
    """One sending of the policy's questionnaire to one birth cohort."""

    __tablename__ = "questionnaire_rounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    policy_version: Mapped[str] = mapped_column(String(64), comment="policy version whose questions were sent")
    sent_on: Mapped[dt.date] = mapped_column(Date)
    deadline: Mapped[dt.date] = mapped_column(Date, comment="last day to answer")
    code_expires: Mapped[dt.date] = mapped_column(Date, comment="last day the printed sign-in codes work")
    born_from: Mapped[dt.date] = mapped_column(Date, comment="the cohort: born on or after")
    born_to: Mapped[dt.date] = mapped_column(Date, comment="the cohort: born on or before")
    sent_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    sent_by: Mapped[str] = mapped_column(String(128))


class QuestionnaireRecipient(Base):
    """One person a round went to, with the reference and sign-in code printed on their letter."""

    __tablename__ = "questionnaire_recipients"
    __table_args__ = (
        UniqueConstraint("round_id", "national_id", name="uq_questionnaire_recipients_person"),
        Index("ix_questionnaire_recipients_person", "national_id"),
        Index("ix_questionnaire_recipients_region", "round_id", "region"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_rounds.id", ondelete="CASCADE"))
    national_id: Mapped[str] = mapped_column(String(32))
    region: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str] = mapped_column(String(32), unique=True, comment="printed on the letter and the paper form")
    code: Mapped[str] = mapped_column(EncryptedText("questionnaire_recipients.code"), comment="portal sign-in code, for printing")
    code_hash: Mapped[bytes] = mapped_column(LargeBinary, comment="keyed hash of the code, to check a sign-in")
    reminders: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reminded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    printed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class QuestionnaireAnswers(Base):
    """A recipient's answers: saved as they go (a draft) until sent (`submitted_at`), on the portal or keyed from
    the paper form by an officer."""

    __tablename__ = "questionnaire_answers"

    recipient_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_recipients.id", ondelete="CASCADE"), primary_key=True)
    answers: Mapped[str] = mapped_column(EncryptedText("questionnaire_answers.answers"), comment="JSON: question id -> answer")
    channel: Mapped[str] = mapped_column(String(16), comment="portal or paper")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    keyed_by: Mapped[str | None] = mapped_column(String(128), comment="the officer who keyed a paper form")


class QuestionnaireRoute(Base):
    """Where an answer sent a person (the policy's effects): the medical pre-assessment list, or a deferral check
    pre-filled with the answer (`detail`, encrypted). Open until someone closes it."""

    __tablename__ = "questionnaire_routes"
    __table_args__ = (Index("ix_questionnaire_routes_open", "route", "closed_at"),
                      Index("ix_questionnaire_routes_person", "national_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_recipients.id", ondelete="CASCADE"))
    national_id: Mapped[str] = mapped_column(String(32))
    region: Mapped[str] = mapped_column(String(16))
    route: Mapped[str] = mapped_column(String(32), comment="medical_preassessment or deferral_check")
    ground: Mapped[str | None] = mapped_column(String(64), comment="the deferral ground to check")
    question: Mapped[str] = mapped_column(String(32), comment="the question whose answer took the effect")
    detail: Mapped[str | None] = mapped_column(EncryptedText("questionnaire_routes.detail"), comment="the answer, to pre-fill the check")
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[str | None] = mapped_column(String(128))
