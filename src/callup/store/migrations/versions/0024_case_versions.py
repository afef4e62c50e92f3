"""Cases carry a version, raised by every step, so that a decision made on a page read before another
change of the case is refused (an optimistic check: the form sends the version it showed).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 08:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='0',
                                      comment='raised by every step: a decision names the version it was made on'))
    op.execute("UPDATE cases SET version = (SELECT count(*) FROM case_transitions t WHERE t.case_id = cases.id)")


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('version')
