"""People carry the language the population register gives for them: their letters and portal pages use it
(NULL: the register gave none, so the policy's language applies).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05 08:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=16), nullable=True,
                                      comment="language of letters and pages (e.g. ru); NULL: the policy's"))


def downgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_column('language')
