"""Campaigns: decree, frozen pool, allocation, call order and calls.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("jurisdiction", sa.String(32), nullable=False),
        sa.Column("policy_sha256", sa.String(64), nullable=False, comment="hash of the policy file the campaign was created under"),
        sa.Column("policy_version", sa.String(64), nullable=False, comment="policy version in force on the eligibility date"),
        sa.Column("window_start", sa.Date(), nullable=False),
        sa.Column("window_end", sa.Date(), nullable=False),
        sa.Column("eligibility_date", sa.Date(), nullable=False, comment="the pool is the eligible register on this date"),
        sa.Column("quota", sa.Integer(), nullable=False, comment="national quota of the decree"),
        sa.Column("over_call_rate", sa.String(16), nullable=False, comment="decimal, e.g. 0.35: extra people called"),
        sa.Column("allocation_method", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("pool_size", sa.BigInteger(), nullable=True),
        sa.Column("pool_fingerprint", sa.String(64), nullable=True),
        sa.Column("commitment_hash", sa.String(64), nullable=True, comment="published before the beacon round"),
        sa.Column("commitment", sa.Text(), nullable=True, comment="the committed document (canonical JSON)"),
        sa.Column("salt", sa.LargeBinary(), nullable=True, comment="secret until the draw reveals it (encrypted)"),
        sa.Column("beacon_value", sa.Text(), nullable=True),
        sa.Column("seed", sa.String(64), nullable=True),
        sa.Column("record", sa.Text(), nullable=True, comment="the published draw record (JSON)"),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("frozen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("committed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('created', 'frozen', 'committed', 'drawn')", name="ck_campaigns_campaign_status"),
        sa.PrimaryKeyConstraint("id", name="pk_campaigns"),
        sa.UniqueConstraint("name", name="uq_campaigns_name"),
    )
    op.create_table(
        "campaign_regions",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(16), nullable=False),
        sa.Column("pool", sa.BigInteger(), nullable=False),
        sa.Column("volunteers", sa.BigInteger(), nullable=False),
        sa.Column("quota", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False, comment="people to call: quota plus over-call, at most the pool"),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], name="fk_campaign_regions_campaign_id_campaigns", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("campaign_id", "region", name="pk_campaign_regions"),
    )
    op.create_table(
        "campaign_pool",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("national_id", sa.String(32), nullable=False),
        sa.Column("region", sa.String(16), nullable=False),
        sa.Column("pseudonym", sa.String(32), nullable=False, comment="keyed pseudonym (hex) shown on the summons"),
        sa.Column("volunteer", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], name="fk_campaign_pool_campaign_id_campaigns", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("campaign_id", "national_id", name="pk_campaign_pool"),
        sa.UniqueConstraint("campaign_id", "pseudonym", name="uq_campaign_pool_pseudonym"),
    )
    op.create_table(
        "campaign_order",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(16), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False, comment="1-based place in the call order (volunteers first)"),
        sa.Column("national_id", sa.String(32), nullable=False),
        sa.Column("rank", sa.BigInteger(), nullable=False, comment="1-based rank within the region by lottery key"),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], name="fk_campaign_order_campaign_id_campaigns", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("campaign_id", "region", "position", name="pk_campaign_order"),
    )
    op.create_index("ix_campaign_order_person", "campaign_order", ["campaign_id", "national_id"], unique=True)
    op.create_table(
        "campaign_calls",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("national_id", sa.String(32), nullable=False),
        sa.Column("region", sa.String(16), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("replaces", sa.String(32), nullable=True, comment="national id of the released person this call replaces"),
        sa.Column("called_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("release_reason", sa.String(16), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("(released_at IS NULL) = (release_reason IS NULL)", name="ck_campaign_calls_release_complete"),
        sa.CheckConstraint("source IN ('draw', 'replacement')", name="ck_campaign_calls_call_source"),
        sa.CheckConstraint("release_reason IN ('deferred', 'exempted', 'unfit', 'left_pool')", name="ck_campaign_calls_release_reason"),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], name="fk_campaign_calls_campaign_id_campaigns", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("campaign_id", "national_id", name="pk_campaign_calls"),
    )
    op.create_index("ix_campaign_calls_region", "campaign_calls", ["campaign_id", "region"])


def downgrade() -> None:
    op.drop_table("campaign_calls")
    op.drop_index("ix_campaign_order_person", table_name="campaign_order")
    op.drop_table("campaign_order")
    op.drop_table("campaign_pool")
    op.drop_table("campaign_regions")
    op.drop_table("campaigns")
