"""Campaign tables: the decree, the frozen pool, the allocation, draw positions and calls.

The frozen pool and the draw positions are written in bulk (one row per eligible person); the
calls table holds only people actually called, so case work and replacements stay small.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from callup.campaigns.errors import CampaignStateError
from callup.campaigns.kinds import CallSource, CampaignStatus, ReleaseReason
from callup.crypto.types import Encrypted
from callup.statemachine import Machine
from callup.store.base import Base

#: The campaign's life: the only order its steps may run in. A campaign whose freeze failed
#: stays `created` and may be frozen again or deleted; a closed campaign is final.
CAMPAIGN = Machine("campaign", {
    (CampaignStatus.created, "freeze"): CampaignStatus.frozen,
    (CampaignStatus.created, "delete"): "deleted",
    (CampaignStatus.frozen, "commit"): CampaignStatus.committed,
    (CampaignStatus.committed, "draw"): CampaignStatus.drawn,
    (CampaignStatus.drawn, "close"): CampaignStatus.closed,
}, final=frozenset({CampaignStatus.closed, "deleted"}), error=CampaignStateError)


class Campaign(Base):
    """One call-up campaign under a decree: quota, window, policy, and its lottery state."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    jurisdiction: Mapped[str] = mapped_column(String(32))
    policy_sha256: Mapped[str] = mapped_column(String(64), comment="hash of the policy file the campaign was created under")
    policy_version: Mapped[str] = mapped_column(String(64), comment="policy version in force on the eligibility date")
    policy_file: Mapped[bytes | None] = mapped_column(LargeBinary, comment="the policy file's bytes, published by the export")
    window_start: Mapped[dt.date] = mapped_column(Date)
    window_end: Mapped[dt.date] = mapped_column(Date)
    eligibility_date: Mapped[dt.date] = mapped_column(Date, comment="the pool is the eligible register on this date")
    quota: Mapped[int] = mapped_column(Integer, comment="national quota of the decree")
    over_call_rate: Mapped[str] = mapped_column(String(16), comment="decimal, e.g. 0.35: extra people called")
    allocation_method: Mapped[str] = mapped_column(String(32))
    status: Mapped[CampaignStatus] = mapped_column(Enum(CampaignStatus, name="campaign_status", native_enum=False, length=16))
    pool_size: Mapped[int | None] = mapped_column(BigInteger)
    pool_fingerprint: Mapped[str | None] = mapped_column(String(64))
    commitment_hash: Mapped[str | None] = mapped_column(String(64), comment="published before the beacon round")
    commitment: Mapped[str | None] = mapped_column(Text, comment="the committed document (canonical JSON)")
    salt: Mapped[bytes | None] = mapped_column(Encrypted("campaigns.salt"), comment="secret until the draw reveals it (encrypted)")
    beacon_value: Mapped[str | None] = mapped_column(Text)
    seed: Mapped[str | None] = mapped_column(String(64))
    record: Mapped[str | None] = mapped_column(Text, comment="the published draw record (JSON)")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    frozen_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    committed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    drawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class CampaignRegion(Base):
    """A region's share of a campaign: its pool, quota and the number called after over-call."""

    __tablename__ = "campaign_regions"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    region: Mapped[str] = mapped_column(String(16), primary_key=True)
    pool: Mapped[int] = mapped_column(BigInteger)
    volunteers: Mapped[int] = mapped_column(BigInteger)
    quota: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer, comment="people to call: quota plus over-call, at most the pool")


class PoolEntry(Base):
    """A person in a campaign's frozen pool, with the pseudonym published in the pool file."""

    __tablename__ = "campaign_pool"
    __table_args__ = (UniqueConstraint("campaign_id", "pseudonym", name="uq_campaign_pool_pseudonym"),)

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    national_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    region: Mapped[str] = mapped_column(String(16))
    pseudonym: Mapped[str] = mapped_column(String(32), comment="keyed pseudonym (hex) shown on the summons")
    volunteer: Mapped[bool] = mapped_column(Boolean)


class OrderEntry(Base):
    """The draw's call order: each region's pool from the first called to the last reserve."""

    __tablename__ = "campaign_order"
    __table_args__ = (Index("ix_campaign_order_person", "campaign_id", "national_id", unique=True),)

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    region: Mapped[str] = mapped_column(String(16), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, primary_key=True, comment="1-based place in the call order (volunteers first)")
    national_id: Mapped[str] = mapped_column(String(32))
    rank: Mapped[int] = mapped_column(BigInteger, comment="1-based rank within the region by lottery key")


class Call(Base):
    """A person called up in a campaign, by the draw or as a replacement, and how the call ended if it has:
    released, or the person inducted (the military service tells the call, `calls.mark_inducted`)."""

    __tablename__ = "campaign_calls"
    __table_args__ = (
        CheckConstraint("(released_at IS NULL) = (release_reason IS NULL)", name="release_complete"),
        Index("ix_campaign_calls_region", "campaign_id", "region", "position"),  # where the reserve continues
        # The replacement calls alone, by region and position: a release looks for a supernumerary one among them
        # without walking the region's draw calls first.
        Index("ix_campaign_calls_replacements", "campaign_id", "region", "position",
              sqlite_where=text("replaces IS NOT NULL"), postgresql_where=text("replaces IS NOT NULL")),
        # Who fills a person's call (a call given back asks who holds it now, down the replacements' chain).
        Index("ix_campaign_calls_replaces", "campaign_id", "replaces",
              sqlite_where=text("replaces IS NOT NULL"), postgresql_where=text("replaces IS NOT NULL")),
    )

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    national_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    region: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[CallSource] = mapped_column(Enum(CallSource, name="call_source", native_enum=False, length=16))
    replaces: Mapped[str | None] = mapped_column(String(32), comment="national id of the released person this call replaces")
    called_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    release_reason: Mapped[ReleaseReason | None] = mapped_column(
        Enum(ReleaseReason, name="release_reason", native_enum=False, length=16))
    released_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    inducted_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), comment="when the person was inducted from this call (their first service record)")


class ReplacementEntry(Base):
    """One line of the campaign's replacements record (`callup.lottery.replacements`): appended, never changed."""

    __tablename__ = "campaign_replacements"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, comment="1, 2, ...: a second writer of the same seq fails")
    line: Mapped[str] = mapped_column(Text, comment="the entry's canonical JSON, as published")
    hash: Mapped[str] = mapped_column(String(64), comment="SHA-256 of the line: the next entry's previous")
