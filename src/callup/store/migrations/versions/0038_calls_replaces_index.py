"""An index of replacement calls by the call they fill: a call given back on appeal asks who holds it now, down the
chain of replacements (docs/lottery.md 9.1), which the replacements index (by region and position) answered only by
walking every replacement call of the campaign (about 87,000 at full scale, for each step of each call given back).

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-07 18:55:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0038'
down_revision = '0037'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_campaign_calls_replaces', 'campaign_calls', ['campaign_id', 'replaces'], unique=False,
                    sqlite_where=sa.text('replaces IS NOT NULL'), postgresql_where=sa.text('replaces IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('ix_campaign_calls_replaces', table_name='campaign_calls')
