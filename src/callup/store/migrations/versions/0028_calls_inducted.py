"""A call says when its person was inducted from it, so notices and case work ask the call (campaigns, below
them) instead of reading the military service's records; existing calls take the time of their first
service record.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-05 18:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('campaign_calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('inducted_at', sa.DateTime(timezone=True), nullable=True,
                                      comment='when the person was inducted from this call (their first service record)'))
    op.execute("UPDATE campaign_calls SET inducted_at = (SELECT min(r.inducted_at) FROM service_records r "
               "WHERE r.campaign_id = campaign_calls.campaign_id AND r.national_id = campaign_calls.national_id)")


def downgrade() -> None:
    with op.batch_alter_table('campaign_calls', schema=None) as batch_op:
        batch_op.drop_column('inducted_at')
