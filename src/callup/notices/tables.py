"""Tables of the summonses: one row per summons with its appointment and delivery evidence,
the print batches, the offices a campaign was scheduled with, and imported postal files."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from callup.crypto.types import EncryptedText
from callup.notices.errors import NoticeStateError
from callup.statemachine import Machine
from callup.store.base import Base


class NoticeStatus(enum.Enum):
    created = "created"  # issued, not yet printed or published
    sent = "sent"  # printed in a batch for the post and/or published on the portal
    delivered = "delivered"  # evidence of delivery (receipt, portal opening) or the policy's deemed-delivery rule
    acknowledged = "acknowledged"  # the person confirmed it (also proves delivery)
    returned = "returned"  # the post returned it undeliverable: the address needs follow-up
    cancelled = "cancelled"  # the call ended (released, replaced): with a reason
    superseded = "superseded"  # replaced by a new summons to the same person: with a reason


#: What may happen to a summons; everything else is refused. Printing and publishing are both
#: "send" (the channels are recorded in printed_at / published_at); a returned letter can still
#: be delivered through the portal.
NOTICE = Machine("summons", {
    (NoticeStatus.created, "send"): NoticeStatus.sent,
    (NoticeStatus.sent, "send"): NoticeStatus.sent,
    (NoticeStatus.sent, "deliver"): NoticeStatus.delivered,
    (NoticeStatus.sent, "acknowledge"): NoticeStatus.acknowledged,
    (NoticeStatus.sent, "return"): NoticeStatus.returned,
    (NoticeStatus.returned, "deliver"): NoticeStatus.delivered,
    (NoticeStatus.returned, "acknowledge"): NoticeStatus.acknowledged,
    (NoticeStatus.returned, "send"): NoticeStatus.returned,
    (NoticeStatus.delivered, "acknowledge"): NoticeStatus.acknowledged,
    (NoticeStatus.delivered, "send"): NoticeStatus.delivered,
    (NoticeStatus.acknowledged, "send"): NoticeStatus.acknowledged,
    **{(state, "cancel"): NoticeStatus.cancelled for state in
       (NoticeStatus.created, NoticeStatus.sent, NoticeStatus.delivered, NoticeStatus.acknowledged, NoticeStatus.returned)},
    **{(state, "supersede"): NoticeStatus.superseded for state in
       (NoticeStatus.created, NoticeStatus.sent, NoticeStatus.delivered, NoticeStatus.acknowledged, NoticeStatus.returned)},
}, final=frozenset({NoticeStatus.cancelled, NoticeStatus.superseded}), error=NoticeStateError)

LIVE = (NoticeStatus.created, NoticeStatus.sent, NoticeStatus.delivered, NoticeStatus.acknowledged, NoticeStatus.returned)


class Appearance(enum.Enum):
    appeared = "appeared"
    no_show = "no_show"


def enum_values(enum_type: type[enum.Enum]) -> list[str]:
    """An enum's stored values: a module-level function, not a lambda, so the tables pickle (the bulk jobs' forked
    processes receive them)."""
    return [m.value for m in enum_type]


def _status(enum_type: type[enum.Enum], name: str) -> Enum:
    return Enum(enum_type, name=name, native_enum=False, length=16)


class Summons(Base):
    """A summons to one called person: reference, appointment, channels, delivery with its evidence."""

    __tablename__ = "summonses"
    __table_args__ = (
        Index("ix_summonses_live", "campaign_id", "national_id", unique=True,
              sqlite_where=text("status NOT IN ('cancelled', 'superseded')"),
              postgresql_where=text("status NOT IN ('cancelled', 'superseded')")),
        Index("ix_summonses_campaign_region", "campaign_id", "region", "status"),
        Index("ix_summonses_batch", "batch_id", "page"),
        Index("ix_summonses_person", "national_id"),  # a person's summonses: the portal's status page
        Index("ix_summonses_office_day", "office", "date", "start"),  # who is expected at an office on a day
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    national_id: Mapped[str] = mapped_column(String(32))
    region: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str] = mapped_column(String(32), unique=True, comment="printed on the letter; 80 random bits and a check character")
    pseudonym: Mapped[str] = mapped_column(String(32))
    rank: Mapped[int] = mapped_column(BigInteger)
    postcode: Mapped[str] = mapped_column(String(16), comment="sorting order of the post")
    language: Mapped[str] = mapped_column(String(16))
    office: Mapped[str] = mapped_column(String(64))
    date: Mapped[dt.date] = mapped_column(Date, comment="appointment day")
    start: Mapped[dt.time] = mapped_column(Time)
    end: Mapped[dt.time] = mapped_column(Time)
    original_date: Mapped[dt.date] = mapped_column(Date, comment="first appointment day: moves are limited around it")
    code: Mapped[str] = mapped_column(EncryptedText("summonses.code"), comment="one-time portal code, encrypted, for printing")
    code_hash: Mapped[bytes] = mapped_column(LargeBinary, comment="keyed hash of the code, to check a sign-in")
    code_expires: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[NoticeStatus] = mapped_column(_status(NoticeStatus, "notice_status"))
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("notice_batches.id"))
    page: Mapped[int | None] = mapped_column(Integer)
    printed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    delivery_source: Mapped[str | None] = mapped_column(String(32), comment="receipt, portal, acknowledgement or deemed")
    delivery_evidence: Mapped[str | None] = mapped_column(Text, comment="file and line, portal session, or the deemed-delivery rule applied")
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    returned_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    return_reason: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    closed_reason: Mapped[str | None] = mapped_column(Text, comment="why it was cancelled or superseded")
    appearance: Mapped[Appearance | None] = mapped_column(_status(Appearance, "appearance"))
    appearance_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    no_show_resolved_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), comment="when case work resolved the no-show recorded here (NULL: not resolved, or recorded again since)")


class BatchStatus(enum.Enum):
    planned = "planned"
    printing = "printing"  # claimed by a worker at `claimed_at`; taken over when that worker is gone (notices.claims)
    printed = "printed"


#: A print batch: claimed by a worker (again when its worker died), then printed once.
BATCH = Machine("print batch", {
    (BatchStatus.planned, "claim"): BatchStatus.printing,
    (BatchStatus.printing, "claim"): BatchStatus.printing,  # taken over from a worker that is gone
    (BatchStatus.printing, "print"): BatchStatus.printed,
}, final=frozenset({BatchStatus.printed}), error=NoticeStateError)


class NoticeBatch(Base):
    """Up to 1,000 letters of one region in postcode order: one PDF and one mailing manifest."""

    __tablename__ = "notice_batches"
    __table_args__ = (UniqueConstraint("campaign_id", "region", "seq", name="uq_notice_batches_place"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    region: Mapped[str] = mapped_column(String(16))
    seq: Mapped[int] = mapped_column(Integer, comment="1, 2, ... within the region")
    letters: Mapped[int] = mapped_column(Integer)
    status: Mapped[BatchStatus] = mapped_column(_status(BatchStatus, "batch_status"))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    printed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    file: Mapped[str | None] = mapped_column(Text)
    manifest: Mapped[str | None] = mapped_column(Text)


class CampaignOffices(Base):
    """The offices file a campaign's appointments were scheduled with (needed again for moves)."""

    __tablename__ = "notice_offices"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text, comment="the offices CSV as read")


class PostalFile(Base):
    """A receipts or returns file from the post, applied once (re-importing it changes nothing)."""

    __tablename__ = "notice_postal_files"
    __table_args__ = (UniqueConstraint("kind", "sha256", name="uq_notice_postal_files_content"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), comment="receipts or returns")
    source: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    rows_applied: Mapped[int] = mapped_column(Integer)
    rows_rejected: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ReminderState(enum.Enum):
    """A reminder's states, as GOV.UK Notify names a message's."""

    created = "created"  # due, not yet handed to a provider
    sending = "sending"  # claimed by a sender and handed to the provider, no final word yet
    delivered = "delivered"  # the provider accepted it for the recipient (never proof the person read it)
    permanent_failure = "permanent-failure"  # refused for good (no such address or number): never retried
    temporary_failure = "temporary-failure"  # the provider was unreachable or busy: retried up to the policy's attempts


#: A reminder goes created -> sending -> delivered or a failure; a temporary failure is sent again
#: (until the policy's attempts are spent); a "sending" whose sender died is given up as temporary; one
#: to a person who opted out, or whose address is gone, fails when its turn comes, unsent.
REMINDER = Machine("reminder", {
    (ReminderState.created, "send"): ReminderState.sending,
    (ReminderState.temporary_failure, "send"): ReminderState.sending,
    (ReminderState.sending, "deliver"): ReminderState.delivered,
    (ReminderState.sending, "fail"): ReminderState.permanent_failure,
    (ReminderState.sending, "defer"): ReminderState.temporary_failure,
    (ReminderState.sending, "accept"): ReminderState.sending,  # the provider took it, its final word comes later
}, final=frozenset({ReminderState.delivered, ReminderState.permanent_failure}), error=NoticeStateError)


class Reminder(Base):
    """One reminder by one channel to one person. `key` names what it reminds of (e.g. summons 12's
    appointment), so planning the same reminder twice creates it once. The recipient's address is
    read from the register when it is sent, never kept here; the text is made from `kind`,
    `language` and `params` (no personal data beyond what the message says)."""

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("key", "channel", name="uq_reminders_key_channel"),
        Index("ix_reminders_due", "state", "next_attempt_at"),
        Index("ix_reminders_person", "national_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    national_id: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(128), comment="what it reminds of, e.g. summons:12:appointment")
    kind: Mapped[str] = mapped_column(String(32), comment="published, deadline, appointment, ...: picks the text")
    channel: Mapped[str] = mapped_column(String(8), comment="email or sms")
    language: Mapped[str] = mapped_column(String(16))
    params: Mapped[str] = mapped_column(Text, comment="JSON: the dates and places the text names")
    state: Mapped[ReminderState] = mapped_column(Enum(ReminderState, name="reminder_state", native_enum=False, length=24,
                                                      values_callable=enum_values))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    provider_ref: Mapped[str | None] = mapped_column(String(128), comment="the provider's id of the message")
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ReminderAttempt(Base):
    """Evidence of one attempt at a reminder and what the provider answered (never proof of delivery)."""

    __tablename__ = "reminder_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reminder_id: Mapped[int] = mapped_column(ForeignKey("reminders.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str] = mapped_column(String(24), comment="the state it left the reminder in")
    detail: Mapped[str] = mapped_column(Text, comment="the provider's answer (status code and words), no address")


class ReminderOptOut(Base):
    """A person who asked for no reminders (on the portal or at an office)."""

    __tablename__ = "reminder_opt_outs"

    national_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
