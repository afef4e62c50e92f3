"""A summons keeps whether case work resolved the no-show recorded on it, so the follow-up list (notices) no
longer reads case work's table; existing summonses take the time their no-show case was last changed
when a case opened since the no-show was recorded is resolved (not open).

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-05 18:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('summonses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('no_show_resolved_at', sa.DateTime(timezone=True), nullable=True,
                                      comment='when case work resolved the no-show recorded here (NULL: not resolved, '
                                              'or recorded again since)'))
    op.execute("UPDATE summonses SET no_show_resolved_at = (SELECT max(c.updated_at) FROM cases c "
               "WHERE c.campaign_id = summonses.campaign_id AND c.national_id = summonses.national_id "
               "AND c.kind = 'no_show' AND c.opened_at >= summonses.appearance_at AND c.state != 'open') "
               "WHERE appearance = 'no_show'")


def downgrade() -> None:
    with op.batch_alter_table('summonses', schema=None) as batch_op:
        batch_op.drop_column('no_show_resolved_at')
