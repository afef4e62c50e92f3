"""Calls by position: the region index of campaign_calls also holds the position, so the last position
called in a region (where the reserve continues) is one index look-up instead of a scan of the region's calls.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-25 21:20:00.000000
"""

from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('campaign_calls', schema=None) as batch_op:
        batch_op.drop_index('ix_campaign_calls_region')
        batch_op.create_index('ix_campaign_calls_region', ['campaign_id', 'region', 'position'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('campaign_calls', schema=None) as batch_op:
        batch_op.drop_index('ix_campaign_calls_region')
        batch_op.create_index('ix_campaign_calls_region', ['campaign_id', 'region'], unique=False)
