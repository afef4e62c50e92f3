"""Summonses by person: an index on summonses.national_id, so a person's summonses (the portal's status page,
the status API) are found without scanning every summons.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25 18:12:41.489816
"""

from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('summonses', schema=None) as batch_op:
        batch_op.create_index('ix_summonses_person', ['national_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('summonses', schema=None) as batch_op:
        batch_op.drop_index('ix_summonses_person')

