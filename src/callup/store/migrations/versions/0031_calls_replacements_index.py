"""An index of the replacement calls alone (campaign, region, position): a release looks for a supernumerary
replacement call among them instead of walking every call of the region in position order, which on a
campaign of 160,000 calls cost milliseconds a release.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-05 23:50:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_campaign_calls_replacements', 'campaign_calls', ['campaign_id', 'region', 'position'], unique=False,
                    sqlite_where=sa.text('replaces IS NOT NULL'), postgresql_where=sa.text('replaces IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('ix_campaign_calls_replacements', table_name='campaign_calls')
